import pytest

from openscope.errors import InvalidRefError
from openscope.refs import parse_ref


@pytest.mark.parametrize(
    "text,kind,model_id,revision",
    [
        ("meta-llama/Llama-3.1-8B-Instruct", "hub", "meta-llama/Llama-3.1-8B-Instruct", None),
        ("allenai/OLMo-7B@main", "hub", "allenai/OLMo-7B", "main"),
        ("org/name@0123456789abcdef0123456789abcdef01234567", "hub", "org/name", "0123456789abcdef0123456789abcdef01234567"),
    ],
)
def test_hub_refs(text, kind, model_id, revision):
    ref = parse_ref(text)
    assert (ref.kind, ref.id, ref.revision) == (kind, model_id, revision)


@pytest.mark.parametrize("text", ["", "   ", "x" * 500, "a/b/../c\x00", "org--x/na..me", "not a model", "-bad/x"])
def test_malformed_refs_name_themselves(text):
    with pytest.raises(InvalidRefError) as info:
        parse_ref(text)
    assert info.value.code == "invalid-ref"
    assert str(info.value)  # one clear line
    assert "\n" not in str(info.value)


def test_local_folder_ref(tmp_path):
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n")
    ref = parse_ref(str(tmp_path))
    assert ref.kind == "local" and ref.path == tmp_path


def test_revision_with_slashes_is_a_hub_revision():
    ref = parse_ref("org/name@refs/pr/1")
    assert (ref.kind, ref.id, ref.revision) == ("hub", "org/name", "refs/pr/1")


def test_local_card_without_front_matter_is_reported_not_guessed(tmp_path):
    from openscope.api import audit

    (tmp_path / "README.md").write_text("# A model\nWe trained it ourselves.\n")
    model = audit([str(tmp_path)], offline=True).models[0]
    assert model.error is None and model.spectrum == "unknown"
    # No front matter, and no terms in the text: both said, neither guessed.
    assert [w.code for w in model.warnings] == ["card-no-metadata", "license-unknown"]
