"""Restriction extraction on clauses written for these tests (paraphrases, tricky negatives) and on
the real corpus (read at run time, never copied)."""

from __future__ import annotations

import pytest

from openscope.license.restrictions import MAX_QUOTE, extract, extract_flags
from openscope.text.markup import squash, unwrap_markup

# (flag, clause): each clause must raise the flag. Written in our own words, not taken from a license.
POSITIVE = [
    ("user-cap", "Should the monthly active users of your services exceed 300 million, you have to ask us for a separate license."),
    ("user-cap", "Licensees with more than one hundred million daily active users are not licensed under these terms."),
    ("user-cap", "A business with over 5,000,000 MAU needs a commercial agreement with the developer."),
    ("revenue-cap", "If your company's annual revenue is above US $2,500,000 you must buy an enterprise license."),
    ("revenue-cap", "Organisations earning more than EUR 3 million per year need a paid license."),
    ("revenue-cap", "This free grant covers only businesses with yearly turnover under £500,000."),
    ("competitor-ban", "You may not use the weights or the text they generate to train any other large language model."),
    ("competitor-ban", "Outputs must never be used to build a model that competes with the licensor."),
    ("competitor-ban", "Direct competitors of the publisher are not allowed to use the model."),
    ("competitor-ban", "The licensee will not distill this model into another foundation model."),
    ("use-restrictions", "Your use must comply with the Acceptable Use Policy published on our site."),
    ("use-restrictions", "You agree not to use the model to develop weapons or for surveillance of individuals."),
    ("use-restrictions", "The model shall not be used to produce defamatory content or to impersonate real people."),
    ("use-restrictions", "Any use that breaches our responsible AI usage policy is forbidden."),
    ("non-commercial", "The weights may be used solely for non-commercial purposes."),
    ("non-commercial", "Use of the model in commercial products is not permitted."),
    ("non-commercial", "This release is for academic research purposes only."),
    ("non-commercial", "You must not use the model for any commercial activity without our written permission."),
    ("attribution", "Every application using the model has to show the text \"Powered by Nimbus\" to its users."),
    ("attribution", "You must credit the original authors in any paper that uses the model."),
    ("attribution", "Redistributors shall give appropriate credit to the creator of the weights."),
    ("naming", "A model you derive from these weights must carry a name beginning with \"Aurora\"."),
    ("naming", "Fine-tuned versions you publish shall include \"Kestrel\" at the start of the model name."),
    ("geographic", "Nothing here grants any right to people who live in, or firms based in, the European Union."),
    ("geographic", "The model may not be used in Russia or Belarus."),
    ("geographic", "This license is not available to residents of India."),
    ("licensor-control", "We may change these terms at any time and your continued use means you accept the new terms."),
    ("licensor-control", "The provider can restrict use of the model remotely if it suspects misuse."),
    ("licensor-control", "The licensor may terminate your license at any time, with or without cause."),
    ("licensor-control", "The acceptable use policy may be revised from time to time at our sole discretion."),
    ("flow-down", "If you redistribute the model you must pass these use restrictions on to your recipients as enforceable terms."),
    ("flow-down", "Your derivative models remain subject to this agreement, including its list of prohibited uses."),
    ("flow-down", "The use restrictions above apply equally to any modifications you create."),
    ("hosting-restriction", "You may not offer the model as a managed service."),
    ("hosting-restriction", "Providing the model to others through a hosted API is not allowed without a separate agreement."),
    ("hosting-restriction", "You shall not make the software available on a software-as-a-service basis."),
    ("no-redistribution", "You must not redistribute the model or any copy of it."),
    ("no-redistribution", "Sharing the weights with third parties is prohibited; you may not distribute them."),
    ("no-redistribution", "Redistribution of the model files is not permitted."),
    # a denial at the end of its clause denies its subject; verbs joined to the first are governed too
    ("geographic", "Shipping the model into Chile or Peru is not licensed."),
    ("no-redistribution", "You may not copy the weights to shared drives, upload them to a hub, or mirror them."),
    # the only way out of the ban is another license: the ban stands under this one
    ("no-redistribution", "Unless you hold a separate redistribution licence from us, you may not share the model."),
    ("non-commercial", "Your rights depend on your not using the model in return for payment or for commercial gain."),
    ("revenue-cap", "Firms with yearly sales above ten million U.S. dollars need a commercial licence."),
    # a model made from the licensed one is a derivative whatever the verb
    ("naming", 'Whatever model you train from the weights has to be given a name opening with "Quill".'),
    # training use confined to the licensed model bars every other model
    ("competitor-ban", "Text produced by the Model may serve only to improve the Model and its fine-tunes, never any other model."),
    # the licensor's side: it grants nothing for the act
    ("hosting-restriction", "The Licensor grants nothing for the operation of the Model as a hosted service for outsiders."),
    ("no-redistribution", "The Licensor grants nothing for the redistribution of the checkpoint, changed or unchanged."),
    ("non-commercial", "Research that earns nothing is licensed; the licence shall not extend to any activity carried on with a view to profit."),
    ("non-commercial", '"Permitted Purpose" means teaching; any other purpose requires a commercial licence from us.'),
    ("attribution", "Every paper reporting results from the Model shall acknowledge the Foundation in its acknowledgements."),
    ("licensor-control", "Access keys can be deactivated by the Provider whenever it thinks fit."),
]

# (flag, clause): tricky look-alikes that must NOT raise the flag.
NEGATIVE = [
    ("attribution", "You must keep this NOTICE file in every copy you distribute."),
    ("attribution", "Retain the copyright line and the list of conditions in the documentation."),
    ("attribution", "Derivatives made by You belong to You."),
    ("geographic", "You must comply with export control laws and sanctions when you ship the model."),
    ("geographic", "If you are located in the EEA, the licensor is our Irish subsidiary."),
    ("geographic", "These terms are governed by the laws of Japan."),
    ("licensor-control", "This license terminates automatically if you breach it."),
    ("licensor-control", "We may terminate the agreement if you violate any of its terms."),
    ("licensor-control", "The foundation may publish revised versions of this license from time to time."),
    ("licensor-control", "You may stop using the model at any time."),
    ("licensor-control", "This grant is perpetual and irrevocable."),
    ("flow-down", "Give every recipient a copy of this license."),
    ("flow-down", "You may add your own license terms to your modifications."),
    ("hosting-restriction", "You may host the model and offer it through an API."),
    ("hosting-restriction", "We are not liable for outages of any hosted service."),
    ("no-redistribution", "You may distribute the model if you include this license."),
    ("no-redistribution", "You may not distribute the model without a copy of this license."),
    ("no-redistribution", "You may not offer the model as a hosted service."),
    ("non-commercial", "You may use the model for commercial and non-commercial purposes."),
    ("non-commercial", "Nothing in this license restricts commercial use."),
    ("competitor-ban", "If you use outputs to train another model and release it, name the original model in its card."),
    ("competitor-ban", "You may use the outputs to improve other models."),
    ("use-restrictions", "You must comply with applicable laws."),
    ("use-restrictions", "The model is not designed for use where failure could cause harm, including discrimination."),
    ("user-cap", "Users must be 16 years or older."),
    ("revenue-cap", "Our liability is limited to USD 100."),
    ("naming", "You may not use our name to endorse your products."),
    ("revenue-cap", "The publisher, a firm with yearly sales above USD 900 million, gives the model away for free."),
    ("geographic", "Where we hold rights in countries other than Canada, you receive the same rights there."),
    ("use-restrictions", "No field-of-use restrictions apply to this model."),
    ("non-commercial", "An earlier draft would have needed a research-only agreement, but this version does not."),
    ("flow-down", "Your own use of the model and of its derivatives must comply with the acceptable use policy."),
    # terms the licensee may not add, items under a lead-in that denies a duty, history and advice
    ("use-restrictions", "When you share the model you may not: (a) add an acceptable use policy; (b) impose a field-of-use restriction."),
    ("use-restrictions", "This license does not require you to:\n\n(a) publish your weights;\n\n(b) follow any acceptable use policy."),
    ("non-commercial", "Our earlier models were released under a research-only license."),
    ("user-cap", "If your service passes 10 million monthly active users, we would appreciate hearing from you."),
    # a term said to be absent, or one an earlier version had
    ("use-restrictions", '"Restricted use": this licence has none.'),
    ("user-cap", "Version 1.0 set a threshold of ten million monthly active users above which a further licence was needed."),
    ("revenue-cap", "Earlier versions applied a USD 1 million revenue threshold; version 2 removed it."),
    ("attribution", "Display of the name of the Licensor in your product is not necessary."),
    ("attribution", "Please cite our report if you publish results; this is a request, not a condition."),
    ("geographic", "In the case of a person not incorporated in India, turnover means its gross revenue for the year."),
    ("hosting-restriction", "A use for profit, provided it is not an Excluded Purpose, by means of a hosted service offered to the public is within the Permitted Purpose."),
]


@pytest.mark.parametrize(("flag", "clause"), POSITIVE)
def test_paraphrased_clause_raises_its_flag(flag, clause):
    flags = {f.flag for f in extract_flags(clause, "LICENSE")}
    assert flag in flags, f"{flag} not raised by: {clause}"


@pytest.mark.parametrize(("flag", "clause"), NEGATIVE)
def test_look_alike_clause_does_not_raise_the_flag(flag, clause):
    flags = {f.flag for f in extract_flags(clause, "LICENSE")}
    assert flag not in flags, f"{flag} wrongly raised by: {clause}"


def test_every_flag_has_paraphrases_and_negatives():
    from openscope.vocabulary import flag_names

    assert {f for f, _ in POSITIVE} == set(flag_names())
    assert len({f for f, _ in NEGATIVE}) >= 10


def test_list_items_are_read_with_their_lead_in():
    text = "Prohibited uses. You agree not to use the model:\n\n- to assist military operations;\n- to run spam campaigns.\n"
    flags = {f.flag: f for f in extract_flags(text, "POLICY.md")}
    assert "use-restrictions" in flags
    # The same items without a prohibiting lead-in say nothing.
    assert "use-restrictions" not in {f.flag for f in extract_flags("Our hobbies:\n\n- military history\n", "x")}


def test_evidence_names_file_section_and_quotes_the_text():
    text = ("1. Grant.\n\na. You may copy the model.\n\nb. Restrictions.\n\n"
            "i. You must not redistribute the weights.\n\nii. You must show \"Built with Orbit\" in your app.\n")
    flags = {f.flag: f for f in extract_flags(text, "LICENSE.txt")}
    ev = flags["no-redistribution"].evidence[0]
    assert ev.file == "LICENSE.txt"
    assert ev.section == "1.b.i"
    assert "redistribute the weights" in ev.quote
    assert flags["attribution"].evidence[0].section == "1.b.ii"
    assert all(f.source == "rules" for f in flags.values())


def test_thresholds_are_recorded():
    flags = {f.flag: f for f in extract_flags(
        "2. If your products have more than 250 million monthly active users, request a license. "
        "Companies with annual revenue over RMB 5 million must pay a fee to use the model.", "LICENSE")}
    assert flags["user-cap"].thresholds == {"users": 250_000_000}
    assert flags["revenue-cap"].thresholds == {"revenue_cny": 5_000_000}


def test_long_sentence_quote_is_short_and_verbatim():
    filler = "including all related documentation, examples, checkpoints and configuration files, " * 8
    text = f"You must not, under any circumstances, redistribute the weights {filler}to anyone."
    finding = {f.flag: f for f in extract_flags(text, "LICENSE")}["no-redistribution"]
    quote = finding.evidence[0].quote
    assert len(quote) <= MAX_QUOTE
    assert "redistribute the weights" in quote
    assert quote in squash(text)


def test_markdown_wrapping_is_removed_before_quoting():
    text = "## 3. Limits\n\n**3.1** You **must not** [redistribute](https://example.com) the weights.\n"
    plain, kind = unwrap_markup(text)
    assert kind == "markdown"
    finding = {f.flag: f for f in extract_flags(text, "LICENSE.md")}["no-redistribution"]
    assert "**" not in finding.evidence[0].quote
    assert finding.evidence[0].quote in squash(plain)
    assert finding.evidence[0].section == "3.1"


# --- the corpus (real third-party texts, read at run time) -----------------------------------------

# Known misses of the analysis on the corpus, by license id: flags wrongly raised (+) or missed (-).
# Empty means every corpus text currently reads exactly as its gold label; a regression fails below.
KNOWN_MISSES: dict[str, dict[str, set[str]]] = {}


@pytest.mark.corpus
def test_corpus_flags_match_gold_labels(corpus, license_labels):
    failures = []
    for label in license_labels:
        text = (corpus / "licenses" / label["text_file"]).read_text(encoding="utf-8")
        got = {f.flag for f in extract_flags(text, label["id"])}
        gold = set(label["flags"])
        known = KNOWN_MISSES.get(label["id"], {})
        extra, missing = got - gold - known.get("+", set()), gold - got - known.get("-", set())
        if extra or missing:
            failures.append(f"{label['id']}: extra {sorted(extra)} missing {sorted(missing)}")
    assert not failures, "\n".join(failures)


@pytest.mark.corpus
def test_corpus_thresholds_are_exact(corpus, license_labels):
    for label in license_labels:
        text = (corpus / "licenses" / label["text_file"]).read_text(encoding="utf-8")
        got: dict[str, int] = {}
        for finding in extract_flags(text, label["id"]):
            got.update(finding.thresholds)
        assert got == label["thresholds"], label["id"]


@pytest.mark.corpus
def test_corpus_evidence_is_verbatim_and_short(corpus, license_labels):
    for label in license_labels:
        text = (corpus / "licenses" / label["text_file"]).read_text(encoding="utf-8")
        result = extract(text, label["id"])
        analysed = squash(result.segmented.text)
        for finding in result.findings:
            assert finding.evidence, (label["id"], finding.flag)
            for ev in finding.evidence:
                assert ev.file == label["id"]
                assert 0 < len(ev.quote) <= MAX_QUOTE
                assert ev.quote in analysed, (label["id"], finding.flag, ev.quote)


# --- the sentence classifier -----------------------------------------------------------------------

def _model_raising(flag: str, sentence: str):
    """The stored model with `flag`'s backstop threshold just under this sentence's score: the
    mechanism under test, whatever operating point the last training run chose for the flag."""
    import dataclasses

    from openscope.license.classifier import load_model

    model = load_model()
    score = model.scores([sentence])[flag][0]
    return dataclasses.replace(model, thresholds={**model.thresholds, flag: score - 1e-9})


def test_classifier_adds_a_flag_the_rules_miss_and_says_so():
    sentence = "We may rewrite these terms whenever we like."
    model = _model_raising("licensor-control", sentence)
    findings = {f.flag: f for f in extract(sentence, "TERMS", model=model).findings}
    assert findings["licensor-control"].source == "classifier"
    assert findings["licensor-control"].evidence[0].quote == sentence
    assert "licensor-control" not in {f.flag for f in extract(sentence, "x", use_classifier=False).findings}


def test_rules_take_precedence_over_the_classifier():
    text = "We may rewrite these terms whenever we like. The licensor may amend this agreement at any time."
    finding = {f.flag: f for f in extract_flags(text, "TERMS")}["licensor-control"]
    assert finding.source == "rules"
    assert [e.quote for e in finding.evidence] == ["The licensor may amend this agreement at any time."]


def test_classifier_is_vetoed_by_the_flags_negative_rules():
    sentence = "We may alter these terms whenever we wish, and nothing here restricts you."
    model = _model_raising("licensor-control", sentence)
    assert "licensor-control" not in {f.flag for f in extract(sentence, "x", model=model).findings}
    raising = "We may alter these terms whenever we wish."
    assert "licensor-control" in {f.flag for f in extract(raising, "x", model=_model_raising("licensor-control", raising)).findings}


def test_classifier_needs_a_limit_as_well_as_a_topic():
    """A sentence about hosting that only grants it is no hosting restriction, however the model scores it."""
    grant = "You may run the model as a hosted service for your customers."
    model = _model_raising("hosting-restriction", grant)
    assert "hosting-restriction" not in {f.flag for f in extract(grant, "x", model=model).findings}
    ban = "Hosting the model for third parties requires a separate license from us."
    assert "hosting-restriction" in {f.flag for f in extract_flags(ban, "x")}


def test_classifier_model_is_plain_json():
    import json

    from openscope.license.classifier import FORMAT, MODEL_FILE

    from openscope.vocabulary import flag_names

    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert raw["format"] == FORMAT
    assert raw["flags"] == list(flag_names())
    assert all(0.5 <= t <= 1.01 for t in raw["thresholds"].values())
    assert all(0.0 <= v <= 0.2 for v in raw["veto"].values())
    assert not list(MODEL_FILE.parent.parent.parent.rglob("*.pkl")) and not list(MODEL_FILE.parent.rglob("*.pickle"))


@pytest.mark.corpus
def test_classifier_model_was_trained_on_the_current_inputs(corpus):
    """model.json records the digest of what it was trained from (data, texts, reader code, rules):
    a changed input without retraining fails here. scripts/train_classifier.py --check retrains."""
    import json
    import sys

    from openscope.license.classifier import MODEL_FILE

    sys.path.insert(0, str(MODEL_FILE.parents[4] / "bench"))
    sys.path.insert(0, str(MODEL_FILE.parents[4] / "scripts"))
    import licensedb

    ok, why = licensedb.available()
    if not ok:
        pytest.skip(f"LicenseDB not available: {why}")
    import classifier_data

    recorded = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["training"]["inputs_sha256"]
    assert classifier_data.inputs_digest(corpus=corpus) == recorded, "re-run python scripts/train_classifier.py"


# --- segmentation ---------------------------------------------------------------------------------

def test_section_paths_follow_the_numbering():
    from openscope.license.segment import segment

    text = ("1. Grant.\n\n    a. Rights.\n\n    b. Use.\n\n        i. First.\n\n        ii. Second.\n\n"
            "§3.2 Limits apply.\n\nSection 4: Fees\n\n(a) First.\n\n(b) Second.\n\n"
            "IV. OTHER TERMS\n\na. Letter.\n\nh. Eighth.\n\ni. Ninth letter, not a roman one.\n\n"
            "Attachment A\n\nYou agree not to use the model:\n\n(a) For X;\n(b) For Y;\n")
    sections = {b.text: b.section for b in segment(text).blocks}
    assert sections["1. Grant."] == "1"
    assert sections["ii. Second."] == "1.b.ii"
    assert sections["§3.2 Limits apply."] == "3.2"
    assert sections["(b) Second."] == "4.b"
    assert sections["IV. OTHER TERMS"] == "IV"
    assert sections["i. Ninth letter, not a roman one."] == "IV.i"
    assert sections["(b) For Y;"] == "Attachment A.b"


def test_hard_wrapped_lines_are_joined_and_items_keep_their_lead_in():
    from openscope.license.segment import segment

    text = ("2. Limits. You must not\nredistribute the weights, nor\nhost them.\n\n"
            "Prohibited uses. You agree not to use the model:\n- for spam;\n- for fraud.\n\nClosing words.\n")
    seg = segment(text)
    texts = [b.text for b in seg.blocks]
    assert "2. Limits. You must not redistribute the weights, nor host them." in texts
    spam = next(b for b in seg.blocks if b.text == "- for spam;")
    assert seg.blocks[spam.lead_ins[-1]].text.endswith("You agree not to use the model:")
    assert next(b for b in seg.blocks if b.text == "Closing words.").lead_ins == []


def test_heavy_libraries_load_only_when_used_and_sklearn_never_at_run_time():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import openscope.license, openscope.license.restrictions, openscope.license.rules\n"
        "assert 'spacy' not in sys.modules and 'sklearn' not in sys.modules, 'imported at module level'\n"
        "from openscope.license.restrictions import extract_flags\n"
        "flags = extract_flags('We may rewrite these terms whenever we like.', 'x')\n"
        "from openscope.license.classifier import load_model\n"
        "assert load_model.cache_info().currsize == 1, 'the classifier was not used'\n"
        "assert 'spacy' in sys.modules and 'sklearn' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def _caps(text: str) -> dict:
    found = {}
    for f in extract_flags(text, "LICENSE"):
        if f.flag in ("user-cap", "revenue-cap"):
            found[f.flag] = f.thresholds
    return found


def test_a_cap_whose_consequence_points_back_to_a_figure_reads_it_there():
    # the figure in the paragraph before, the consequence after ("above that number")
    text = ("4.1 The threshold is 12,000,000 monthly active users.\n\n"
            "4.2 A licensee above that number must obtain a separate license from us.")
    assert _caps(text) == {"user-cap": {"users": 12000000}}
    # the count named before, the number stated with the consequence ("if that figure was greater than")
    text = ("3.1 You will count the monthly active users of your products on the first day of each month.\n\n"
            "3.2 If that figure is greater than eight million (8,000,000), you must request a license from us.")
    assert _caps(text) == {"user-cap": {"users": 8000000}}
    # a table of thresholds, then "either threshold"
    text = ("| Measure | Threshold |\n|---|---|\n| Monthly Active Users | 4,000,000 |\n| Annual revenue | EUR 9,000,000 |\n\n"
            "A licensee that exceeds either threshold in the table must obtain a commercial license.")
    assert _caps(text) == {"user-cap": {"users": 4000000}, "revenue-cap": {"revenue_eur": 9000000}}


def test_a_figure_pointed_back_to_without_a_consequence_is_no_cap():
    text = ("Our service had 40,000,000 monthly active users in 2025.\n\n"
            "That number has grown every year since we began.")
    assert _caps(text) == {}


def test_a_cap_counted_in_one_sentence_and_numbered_in_another_is_read():
    text = ("5.1 Count the distinct people who use your apps in a calendar month. We fix the limit at "
            "forty million (40,000,000) for that count.\n\n"
            "5.2 A licensee above that figure must ask us for a separate license.")
    assert _caps(text) == {"user-cap": {"users": 40000000}}


def test_the_number_beside_that_figure_wins_over_an_older_number():
    # an unrelated number in the sentence before must not become the cap
    text = ("3.1 Count the monthly active users of your products on 1 January 2027, over 12,000 servers.\n\n"
            "3.2 If that figure is greater than 90,000,000, you must request a license from us.")
    assert _caps(text) == {"user-cap": {"users": 90000000}}
