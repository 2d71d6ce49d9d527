import json
import subprocess
import sys

import jsonschema

from openscope.types import ModelReport, Report, json_schema


def test_schema_is_generated_from_code_and_validates_a_report():
    schema = json_schema()
    report = Report(models=[ModelReport(ref="x/y", id="x/y", kind="hub", provenance="registry")])
    jsonschema.validate(report.to_dict(), schema)
    # The contract's fixed values are enums in the schema, so a wrong value fails validation.
    bad = report.to_dict()
    bad["models"][0]["spectrum"] = "open-ish"
    try:
        jsonschema.validate(bad, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("schema accepted an unknown spectrum value")


def test_schema_command_prints_valid_json():
    out = subprocess.run([sys.executable, "-m", "openscope", "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(out.stdout)
    assert schema["title"] == "openscope.report/1"
    assert "ModelReport" in schema["$defs"]
