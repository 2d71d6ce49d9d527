"""Stages 3 to 5 for one model: which license governs it, what it inherits, where it sits on the spectrum."""
