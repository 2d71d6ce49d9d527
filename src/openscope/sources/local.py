"""Facts from a local model folder or a single model card file (no network)."""

from __future__ import annotations

from pathlib import Path

from openscope.card.parse import parse_card
from openscope.errors import InvalidRefError, UnreadableError
from openscope.refs import MODEL_FILES
from openscope.sources.interface import LICENSE_FILE_NAMES
from openscope.text.decode import read_text_file
from openscope.types import Document, ModelFacts, ModelRef, ReportWarning


class LocalSource:
    name = "local"
    kinds = frozenset({"local"})
    authoritative = False
    label = "local files"
    enriched_by_registry = False

    def fetch(self, ref: ModelRef) -> ModelFacts:
        path = ref.path or Path(ref.id)
        if not path.exists():
            raise UnreadableError(ref.raw, f"{ref.raw}: no such file or folder")
        warnings: list[ReportWarning] = []
        documents: list[Document] = []
        if path.is_dir():
            present = {p.name for p in _safe_listdir(path, ref)}
            if not present & set(MODEL_FILES):
                raise InvalidRefError(
                    ref.raw, f"{ref.raw}: folder has no model card, license or config.json; not a model folder"
                )
            card_text = (read_text_file(path / "README.md", label=f"{ref.raw}/README.md", warnings=warnings)
                         if "README.md" in present else "")
            for name in LICENSE_FILE_NAMES:
                if name in present:
                    documents.append(Document(name, read_text_file(path / name, label=f"{ref.raw}/{name}",
                                                                    warnings=warnings)))
            siblings = sorted(present)
            model_id = path.resolve().name
        else:
            card_text = read_text_file(path, label=ref.raw, warnings=warnings)
            siblings = [path.name]
            model_id = path.stem
        card = parse_card(card_text)
        if card.problem:
            warnings.append(ReportWarning("card-invalid", f"{ref.raw}: {card.problem}"))
        elif card_text and card.front_matter == "none":
            warnings.append(ReportWarning("card-no-metadata", f"{ref.raw}: model card has no YAML front matter "
                                                              "(no declared license, base model or datasets)"))
        warnings.extend(ReportWarning("card-invalid", f"{ref.raw}: {problem}") for problem in card.warnings)
        if path.is_dir() and not card_text:
            warnings.append(ReportWarning("card-missing", f"{ref.raw}: no README.md model card"))
        card_id = card.data.get("model_id") or card.data.get("model_name")
        return ModelFacts(
            ref=ref, id=str(card_id) if isinstance(card_id, str) and "/" in card_id else model_id,
            kind="local", provenance="local", card_data=card.data, card_body=card.body,
            front_matter=card.front_matter, documents=documents, siblings=siblings, warnings=warnings,
        )


def _safe_listdir(path: Path, ref: ModelRef):
    try:
        return list(path.iterdir())
    except OSError as exc:
        raise UnreadableError(ref.raw, f"{ref.raw}: cannot list folder ({exc.strerror or exc})") from None
