"""Malformed catalog and scenario documents generated from their schemas (hypothesis).

Each example takes a valid bundled record or scenario, breaks one field in a way its schema
forbids (a wrong JSON/TOML type, an integer too large for a float, NaN or infinity, a value
out of its bounds, an empty string, a lone surrogate, deep nesting, inverted limits), and
runs the CLI in-process: exit status 2, no traceback, one message naming the file and the
field (and the record, where the file has records), and nothing written.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
import tomllib
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geocover.catalog import Interceptor, Missile, Radar
from geocover.cli.main import cli

DATA = ROOT / "data"
TEMPLATES = {
    "radar": json.loads((DATA / "catalog" / "radars.geojson").read_text())["features"][0],
    "interceptor": json.loads((DATA / "catalog" / "interceptors.geojson").read_text())["features"][0],
}
SCHEMAS = {"radar": Radar.SPEC, "interceptor": Interceptor.SPEC}
SCENARIO = tomllib.loads((DATA / "scenarios" / "epaa-phase1-2011.toml").read_text())

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------- value strategies
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
_huge_int = st.integers(min_value=10**309, max_value=10**420)  # beyond float max 1.8e308 (IEEE 754)
_non_finite = st.sampled_from([math.nan, math.inf, -math.inf])
_containers = st.one_of(st.lists(st.integers(), max_size=3), st.dictionaries(_text, st.integers(), max_size=2))
_deep = st.integers(min_value=40, max_value=200).map(lambda n: json.loads("[" * n + "]" * n))


def _not_a_string():
    return st.one_of(st.integers(-5, 5), st.floats(allow_nan=False), st.booleans(), _containers)


def _not_a_number():
    return st.one_of(_text, st.booleans(), _containers)


def bad_values(spec):
    """Values that a catalog field with this ``_Spec`` must refuse."""
    if spec.kind is str:
        options = [_not_a_string(), st.sampled_from(["", "   ", "\t"]), _huge_int, _deep,
                   st.tuples(_text, st.integers(0xD800, 0xDFFF)).map(lambda t: t[0] + chr(t[1]))]
        if spec.choices:
            options.append(_text.filter(lambda s, c=spec.choices: s not in c))
        return st.one_of(*options)
    if spec.kind is bool:
        return st.one_of(st.integers(), _text, _containers)
    options = [_not_a_number(), _huge_int, _deep]
    if spec.kind is float:
        options.append(_non_finite)
    else:  # int
        options.append(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x)))
    if spec.hi is not None:
        options.append(st.floats(min_value=spec.hi, exclude_min=True, allow_infinity=False))
    if spec.lo is not None:
        options.append(st.floats(max_value=spec.lo, exclude_max=not spec.lo_open, allow_infinity=False,
                                 allow_nan=False))
    return st.one_of(*options)


def _field_and_value(schemas: dict):
    return st.sampled_from(sorted(schemas)).flatmap(
        lambda kind: st.sampled_from(sorted(schemas[kind])).flatmap(
            lambda name: bad_values(schemas[kind][name]).map(lambda v: (kind, name, v))))


def _run(args, folder: Path, fragments):
    before = sorted(folder.rglob("*"))
    r = CliRunner().invoke(cli, args)
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
    assert r.exit_code == 2, (args, r.output)
    for frag in fragments:
        assert frag in r.output, (frag, r.output)
    assert sorted(folder.rglob("*")) == before  # nothing written


# ---------------------------------------------------------------------------- catalogs
@SETTINGS
@given(_field_and_value(SCHEMAS))
def test_catalog_field_of_wrong_type_or_range(case):
    kind, name, value = case
    feat = copy.deepcopy(TEMPLATES[kind])
    feat["properties"]["id"] = "zz-h"
    feat["properties"][name] = value
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.geojson"
        # json.dumps writes what users' tools write: NaN, 400-digit integers, \ud800 escapes
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
        record = [] if name == "id" else ["'zz-h'"]
        _run(["sites", "--catalog", str(path)], Path(d), [str(path), f"'{name}'", *record])


@SETTINGS
@given(st.sampled_from([("min_elevation_deg", "max_elevation_deg", "radar", -90.0, 90.0),
                        ("min_intercept_altitude_m", "max_intercept_altitude_m", "interceptor", 1.0, 5.0e6)])
       .flatmap(lambda t: st.tuples(st.just(t), st.floats(t[3], t[4]), st.floats(t[3], t[4]))
                .filter(lambda x: x[2] <= x[1])))
def test_catalog_inverted_limits(case):
    (lo_name, hi_name, kind, _, _), lo, hi = case
    feat = copy.deepcopy(TEMPLATES[kind])
    feat["properties"].update({"id": "zz-h", lo_name: lo, hi_name: hi})
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feat]}))
        _run(["sites", "--catalog", str(path)], Path(d), [str(path), "'zz-h'", hi_name])


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(set(Missile.SPEC) - {"id"})).flatmap(
    lambda name: bad_values(Missile.SPEC[name]).filter(lambda v: not _has_surrogate(v)).map(lambda v: (name, v))))
def test_missile_class_field_of_wrong_type_or_range(case):
    name, value = case
    table = {"name": "x", "stages": 1, "range_m": 1.0e6, "burn_time_s": 60.0, "burnout_altitude_m": 1.0e5,
             "body_rcs_m2": 1.0, "warhead_rcs_m2": 0.1, "source": "x", "confidence": "notional"}
    table[name] = value
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.toml"
        path.write_text(to_toml({"missile": {"zz-h": table}}))
        _run(["sites", "--catalog", str(path)], Path(d), [str(path), "'zz-h'", f"'{name}'"])


# ---------------------------------------------------------------------------- scenarios
def _has_surrogate(v) -> bool:
    return isinstance(v, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in v)


def _toml_str(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_str(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    """A TOML document of root-level ``key = value`` lines (inline tables and arrays)."""
    return "".join(f"{_toml_str(k)} = {_toml_value(v)}\n" for k, v in doc.items())


_ids = st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False), st.dictionaries(_text, st.integers(),
                                                                                          max_size=2),
                 st.lists(st.one_of(st.integers(), st.lists(st.just("kurecik"), max_size=1)), min_size=1, max_size=2))
_str_list = st.one_of(st.integers(), st.dictionaries(_text, st.integers(), min_size=1, max_size=2),
                      st.lists(st.one_of(st.integers(), st.booleans()), min_size=1, max_size=2))


def _number(lo, hi, integer=False):
    opts = [_not_a_number(), _huge_int, _non_finite, st.floats(max_value=lo, exclude_max=True),
            st.floats(min_value=hi, exclude_min=True, allow_infinity=False)]
    if integer:
        opts.append(st.floats(lo, hi).filter(lambda x: x != int(x)))
    return st.one_of(*opts)


#: The scenario schema, typed here from the module docstring of geocover/scenario.py and its
#: limits: (section, key) -> values that key must refuse.
SCENARIO_BAD = {
    ("scenario", "title"): st.one_of(_not_a_string(), st.sampled_from(["", "  "])),
    ("scenario", "year"): st.one_of(_not_a_number(), _huge_int, st.integers(max_value=1899),
                                    st.integers(min_value=2201), st.floats(allow_nan=False)),
    ("scenario", "description"): _not_a_string(),
    ("scenario", "sources"): _str_list,
    ("scenario", "notional"): _str_list,
    ("radars", "early_warning"): _ids,
    ("radars", "fire_control"): st.one_of(_ids, st.just([])),
    ("threats", "launch_sites"): st.one_of(_ids, st.just([])),
    ("threats", "missile"): _not_a_string(),
    ("grid", "bbox_deg"): st.one_of(_not_a_number(), st.lists(st.floats(-90, 90), max_size=3),
                                    st.tuples(st.floats(-180, 0), st.floats(-90, 0), _non_finite, st.floats(0, 90))
                                    .map(list), st.lists(_text, min_size=4, max_size=4)),
    ("grid", "resolution_deg"): _number(1e-3, 10.0),
    ("engagement", "min_track_s"): _number(0.0, 3600.0),
    ("engagement", "kill_assessment_s"): _number(0.0, 3600.0),
    ("engagement", "samples"): _number(10, 2000, integer=True),
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(SCENARIO_BAD)).flatmap(
    lambda key: SCENARIO_BAD[key].map(lambda v: (key, v))))
def test_scenario_key_of_wrong_type_or_range(case):
    (section, key), value = case
    doc = copy.deepcopy(SCENARIO)
    doc.setdefault(section, {})[key] = value
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(to_toml(doc))
        _run(["engage", str(path), "tehran", "bucharest"], Path(d), [str(path), f"{section}.{key}"])


_OVERRIDABLE = {"radar": {k: v for k, v in Radar.SPEC.items() if k not in ("id", "kind")},
                "interceptor": {k: v for k, v in Interceptor.SPEC.items() if k not in ("id", "kind")}}
_POOL = {"radar": ("radars", "kurecik"), "interceptor": ("interceptors", "aegis-east-med-sm3-ia")}


@settings(max_examples=60, deadline=None)
@given(_field_and_value(_OVERRIDABLE).filter(lambda c: not _has_surrogate(c[2])), st.booleans())
def test_scenario_override_or_inline_site_of_wrong_type_or_range(case, inline):
    """Overrides and [[sites]] records are validated like catalog records, after merging."""
    kind, name, value = case
    doc = copy.deepcopy(SCENARIO)
    if inline:
        props = dict(TEMPLATES[kind]["properties"])
        props.update({"id": "zz-h", name: value})
        props.setdefault("lat_deg", TEMPLATES[kind]["geometry"]["coordinates"][1])
        props.setdefault("lon_deg", TEMPLATES[kind]["geometry"]["coordinates"][0])
        if name in ("lat_deg", "lon_deg"):
            props[name] = value
        doc["sites"] = [props]
        fragments = ["sites[0]", name]
    else:
        section, rid = _POOL[kind]
        doc["overrides"] = {section: {rid: {name: value}}}
        fragments = [f"overrides.{section}.{rid}", name]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_text(to_toml(doc))
        _run(["engage", str(path), "tehran", "bucharest"], Path(d), [str(path), *fragments])
