"""Text tools shared by the license and card readers: markup, decoding, sentences, patterns, TF-IDF."""
