"""Lineage over the whole dump: the base graph, its heights and cycles, and every base's value once.

`audit M` follows M's bases depth first (assess/model.py's Assessor, assess/lineage.py's `trace`):
each base is assessed once per run, a base already in the chain is a cycle, a chain deeper than
`MAX_DEPTH` is cut. `GraphAssessor` does the same with stored per-model records instead of fetching
(same `trace`, `place`, `apply_conditions`: the per-edge rules are lineage.py's own), and shares a
base's value between all the models above it whenever that value cannot depend on the path: the base
is in no cycle and reaches none (`context` is false), and its whole chain fits under the depth limit
from where it is met (`depth + height <= MAX_DEPTH`). Those values are the fixed point of flag and
license propagation along base edges, computed bottom-up once; everything else (cycles and what
reaches them, over-deep chains) is resolved per model exactly as the single-model path does, and
reported (`lineage-cycle`, `lineage-depth`).
"""

from __future__ import annotations

from dataclasses import dataclass

from openscope.assess.lineage import MAX_DEPTH, BaseNode
from openscope.bulk import records as R
from openscope.errors import ModelError, ModelNotFoundError
from openscope.types import ModelReport, ReportWarning


def missing_base(ref: str) -> ModelError:
    """What fetching a base that the dump does not hold raises (shared with the differential test)."""
    return ModelNotFoundError(ref, f"{ref}: not in the dump")


@dataclass
class Shape:
    """The narrow graph: per model (by lower-case id) its base refs, height and whether it touches a cycle."""

    height: dict[str, int]
    context: dict[str, bool]  # in a cycle, or reaches one
    cyclic: set[str]  # in a cycle itself
    dangling: dict[str, list[str]]  # model -> base refs not in the dump

    def special(self, key: str) -> bool:
        """Resolved per model rather than from shared values: near a cycle, or deeper than the limit."""
        return self.context.get(key, False) or self.height.get(key, 0) > MAX_DEPTH


def shape(edges: dict[str, list[str]]) -> Shape:
    """Heights and cycles of the base graph (`edges`: lower-case id -> lower-case base refs, dump-wide).

    Height is what the depth limit counts: 0 without base refs, else one more than the highest base
    (a base outside the dump, or one that failed, counts 0: it is tried, then given up on)."""
    # Only models that name a base are walked: one without base refs is in no cycle, has height 0 and
    # no context, so it needs no entry (readers default to those); the driver's memory is that of the
    # models with bases, not of the whole dump.
    index, low, on_stack, stack, comp = {}, {}, set(), [], {}
    counter = 0
    for root in edges:
        if root in index or not edges[root]:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if not edges.get(nxt):
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    members.append(m)
                    if m == node:
                        break
                if len(members) > 1:
                    comp.update((m, node) for m in members)
                elif node in edges[node]:
                    comp[node] = node  # names itself as its base
    cyclic = set(comp)
    del index, low, on_stack, comp
    # Bases before the models above them: one pass settles heights and context.
    height: dict[str, int] = {}
    context: dict[str, bool] = {}
    for k in _topological(edges, cyclic):
        refs = edges[k]
        if k in cyclic:
            context[k] = True
            height[k] = MAX_DEPTH + 1
            continue
        context[k] = any(context.get(r, False) for r in refs if r in edges)
        height[k] = 0 if not refs else 1 + max((height.get(r, 0) if r in edges else 0) for r in refs)
    dangling = {k: [r for r in refs if r not in edges] for k, refs in edges.items() if any(r not in edges for r in refs)}
    return Shape(height, context, cyclic, dangling)


def _topological(edges: dict[str, list[str]], cyclic: set[str]) -> list[str]:
    """Models with every in-dump base before them (cycle members first: their values are never shared)."""
    done: set[str] = set(cyclic)
    order: list[str] = list(cyclic)
    for root in edges:
        if root in done or not edges[root]:
            continue
        work = [(root, iter(edges[root]))]
        while work:
            node, it = work[-1]
            nxt = next((r for r in it if r not in done and edges.get(r)), None)
            if nxt is not None:
                work.append((nxt, iter(edges.get(nxt, ()))))
                continue
            work.pop()
            if node not in done:
                done.add(node)
                order.append(node)
    return order


# ------------------------------------------------------------------------------- a base's value, stored

def dump_node(node: BaseNode, facts_light: dict) -> dict:
    return {"id": node.id, "license": node.license.key if node.license else None,
            "license_origin": node.license_origin, "flags": [R.dump_flag(f) for f in node.flags],
            "osi_open": node.osi_open,
            "components": {c: [st, strength, list(reasons[:1])] for c, (st, strength, reasons) in node.components.items()},
            "chain": list(node.chain), "facts": facts_light}


def load_node(d: dict, catalog) -> BaseNode:
    return BaseNode(d["id"], "", R.entry_of(catalog, d["license"]), d["license_origin"],
                    [R.load_flag(f) for f in d["flags"]], d["osi_open"],
                    {c: (st, strength, list(reasons)) for c, (st, strength, reasons) in d["components"].items()},
                    list(d["chain"]))


class GraphAssessor:
    """The Assessor's join over stored records; bases come from `record(key)` or shared `values`.

    `record(key)` -> the stored record dict, {"error": ...} for a row that failed, or None when the dump
    lacks the model. `values`: key -> dumped node of a base whose value is path-independent."""

    def __init__(self, catalog, shape_: Shape, record, values: dict | None = None):
        self.catalog = catalog
        self.shape = shape_
        self.record = record
        self.values = values if values is not None else {}
        self.licenses: dict = {}  # stored license JSON -> its assessment, decoded once (records.assessment_of)
        # A shared base's node and a base's facts, decoded once per task: read-only after (lineage copies a
        # node before changing it, and never changes facts).
        self._nodes: dict[str, BaseNode] = {}
        self._facts: dict = {}
        self.computed: dict[str, dict] = {}  # new shareable values found here (the graph pass stores them)

    def shared_node(self, key: str, shared: dict, relation: str) -> BaseNode:
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = load_node(shared, self.catalog)
        return BaseNode(**{**node.__dict__, "relation": relation})

    def light_facts(self, key: str, light: dict):
        found = self._facts.get(key)
        if found is None:
            found = self._facts[key] = R.facts_from(light)
        return found

    # -- one model, as `audit` would report it
    def assess(self, rec: dict) -> ModelReport:
        from openscope.assess.licensing import apply_conditions
        from openscope.assess.lineage import trace
        from openscope.assess.model import model_report
        from openscope.assess.spectrum import place

        facts = R.facts_from(rec["facts"])
        lic = R.assessment_of(rec["lic"], self.catalog, self.licenses)
        run = _Run(self)
        lineage = trace(facts, lic, self.catalog, run.resolve, links=R.load_links(rec, guess_from_name=True))
        placement = place(facts, lic, self.catalog, lineage=lineage, findings=R.load_findings(rec))
        flags, unmet = apply_conditions(lineage.flags, facts, self.catalog, run.base_facts)
        return model_report(facts, lic, lineage, placement, flags, unmet, self.catalog)

    def prime(self, key: str, model_id: str) -> None:
        """Compute a base's shared value as the Assessor does when a model names it (depth 1)."""
        from openscope.assess.lineage import Lineage
        from openscope.card.links import BaseLink
        from openscope.types import ModelFacts, ModelRef

        top = ModelFacts(ref=ModelRef("<graph>", "hub", "<graph>"), id="<graph>", kind="hub", provenance="hub")
        _Run(self).resolve(BaseLink(model_id, "finetune", "graph", ""), 1, frozenset({"<graph>"}), Lineage(), top)

    def shareable(self, key: str, depth: int) -> bool:
        return not self.shape.context.get(key, False) and depth + self.shape.height.get(key, 0) <= MAX_DEPTH


class _Run:
    """One top model's run: the Assessor's per-run memo of bases (and their facts) for this model."""

    def __init__(self, owner: GraphAssessor):
        self.owner = owner
        self.bases: dict[str, BaseNode | str] = {}
        self.facts: dict = {}

    def base_facts(self, model_id: str):
        return self.facts.get(model_id.lower())

    def resolve(self, link, depth: int, seen: frozenset, out, facts) -> BaseNode | None:
        """assess/model.py Assessor._resolve_base, with the base read from the dump's records."""
        from openscope.assess.lineage import trace
        from openscope.assess.spectrum import place

        owner, catalog = self.owner, self.owner.catalog
        key = link.ref.lower()
        cached = self.bases.get(key)
        if isinstance(cached, str):
            out.warnings.append(ReportWarning("base-unavailable", cached))
            return None
        if cached is not None:
            return BaseNode(**{**cached.__dict__, "relation": link.relation})
        shared = owner.values.get(key) if owner.shareable(key, depth) else None
        if shared is not None:
            node = owner.shared_node(key, shared, link.relation)
            base_light = shared["facts"]
            self._remember(key, base_light)
            for member in node.chain[1:]:  # the facts lineage gathered further up, for conditions
                further = owner.values.get(member.lower())
                if further is not None:
                    self._remember(member.lower(), further["facts"])
            return self._stand_in(node, link, key)
        rec = owner.record(key)
        if rec is None:
            exc = missing_base(link.ref)
            message = f"{facts.id}: base model {link.ref} could not be fetched ({exc})"
            if link.license_key:
                message += f"; assuming {link.family} terms ({link.license_key})"
            self.bases[key] = message
            out.warnings.append(ReportWarning("base-unavailable", message))
            return None
        if "error" in rec:
            message = f"{facts.id}: base model {link.ref} could not be assessed ({rec['error']})"
            out.warnings.append(ReportWarning("base-unavailable", message))
            return None
        base_facts = R.facts_from(rec["facts"])
        self._remember(key, rec["facts"])
        self.facts[base_facts.id.lower()] = self.facts[key]
        base_lic = R.assessment_of(rec["lic"], catalog, owner.licenses)
        base_lineage = trace(base_facts, base_lic, catalog, self.resolve, depth=depth, seen=seen,
                             links=R.load_links(rec, guess_from_name=False))
        placement = place(base_facts, base_lic, catalog, lineage=base_lineage, findings=R.load_findings(rec))
        out.warnings.extend(w for w in base_lineage.warnings if w.code in ("lineage-cycle", "lineage-depth"))
        node = BaseNode(
            id=base_facts.id, relation=link.relation, license=base_lineage.effective,
            license_origin=base_lineage.effective_origin or base_facts.id, flags=base_lineage.flags,
            osi_open=base_lineage.osi_open,
            components={c: (v.status, v.strength, v.reasons) for c, v in placement.views.items()},
            chain=[base_facts.id] + [i for b in base_lineage.bases for i in b.chain],
        )
        if owner.shareable(key, depth) and key not in owner.values:
            owner.values[key] = owner.computed[key] = dump_node(node, rec["facts"])
        return self._stand_in(node, link, key)

    def _remember(self, key: str, light: dict) -> None:
        if key not in self.facts:
            self.facts[key] = self.owner.light_facts(key, light)

    def _stand_in(self, node: BaseNode, link, key: str) -> BaseNode:
        from openscope.assess.licensing import catalog_flags, osi_open_of

        if node.license is None and link.license_key:
            # Known model, unknown terms: the family's license stands in (as the Assessor does).
            entry = self.owner.catalog.get(link.license_key)
            if entry is not None:
                node.license, node.flags = entry, catalog_flags(entry, self.owner.catalog)
                node.osi_open = osi_open_of(entry, node.flags)
        self.bases[key] = node
        return node
