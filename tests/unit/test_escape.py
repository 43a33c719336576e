"""Strings from specs are escaped where they are rendered (issue 13, "Output"): hostile strings in every spec field
that reaches output — tag values, descriptions, metric names, hyperparameter keys and values, the source repo,
AWS's messages — cannot drive a terminal, break out of a pull-request comment, mention people, inject links or
images, or put a line break or a control character in a notification's one-line summary."""

from __future__ import annotations

import json
import re

import pytest

from controller import escape
from controller.cli import render
from controller.cli.validate import github_annotation
from controller.errors import Diagnostic
from controller.plan.diff import Action, Conflict, FieldChange
from controller.plan.plan import Change, Classification, Plan
from controller.resources import Kind, Ref

HOSTILE = [
    "\x1b[2J\x1b[31mred",  # CSI: clear the screen
    "\x9b31m C1 CSI",  # the 8-bit CSI
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",  # OSC 8 hyperlink
    "abc\u202etxt.exe",  # right-to-left override
    "\u2066isolate\u2069 and zero\u200bwidth",
    "line\nbreak\rreturn\u2028sep\u0085nel",
    "```\n</details>\n<img src=https://evil.example/x.png>",
    "@octocat and @org/team please",
    "![pixel](https://evil.example/p.png) [click](https://evil.example)",
    "<script>alert(1)</script> & <b>bold</b>",
    "| cell | break |",
    "~~strike~~ **bold** _it_ #123",
]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_text_has_no_control_or_format_character(text: str) -> None:
    shown = escape.terminal(text)
    assert not CONTROL.search(shown)
    assert escape.terminal("plain ascii, unchanged: eta=0.2") == "plain ascii, unchanged: eta=0.2"


@pytest.mark.parametrize("text", HOSTILE)
def test_one_line_is_one_line_without_controls_and_bounded(text: str) -> None:
    line = escape.one_line(text * 50, limit=120)
    assert "\n" not in line and not CONTROL.search(line) and len(line) <= 120


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_is_literal(text: str) -> None:
    shown = escape.markdown(text)
    assert not CONTROL.search(shown)
    assert "<" not in shown and ">" not in shown and "@" not in shown  # no HTML, no mention
    assert "](" not in shown.replace("\\](", "") and "![" not in shown.replace("\\!\\[", "")  # no link, no image
    assert "|" not in shown.replace("\\|", "")  # no new table cell
    assert "~~" not in shown.replace("\\~", "")


def _hostile_plan(text: str) -> Plan:
    ref = Ref(Kind.PARAMETER, "/modelctl/dev/m/hyperparameters")
    change = Change(
        Action.UPDATE,
        ref,
        "m",
        {"value": {text: text}},
        {"value": {text: "0.2"}},
        f"differs from the spec: {text}",
        Classification.CONFIG_ONLY,
        (FieldChange(f"value.{text}", text, "0.2"),),
    )
    conflict = Conflict(Ref(Kind.ALARM, "m-dev-x"), "m", f"held by {text}")
    return Plan("dev", (change,), (conflict,), "sha256:0", "s", "2026-01-01T00:00:00Z")


@pytest.mark.parametrize("text", HOSTILE)
def test_plan_text_escapes_every_spec_string(text: str) -> None:
    shown = render.text(_hostile_plan(text), color=False, notes={"m": [f"note {text}"]})
    assert not CONTROL.search(shown.replace("\n", ""))
    assert len(shown.splitlines()) == len(render.text(_hostile_plan("x"), notes={"m": ["note x"]}).splitlines())


@pytest.mark.parametrize("text", HOSTILE)
def test_plan_markdown_cannot_be_broken_out_of(text: str) -> None:
    shown = render.markdown(_hostile_plan(text), notes={"m": [f"note {text}"]})
    assert not CONTROL.search(shown.replace("\n", ""))
    fences = [line for line in shown.splitlines() if line.startswith("```")]
    opening = fences[0].removesuffix("diff")
    assert fences == [f"{opening}diff", opening]  # no line inside closes the block early
    before, rest = shown.split(fences[0] + "\n", 1)
    body, after = rest.split("\n" + opening + "\n", 1)
    assert opening not in body
    rendered = before + after  # outside the code block, where markdown and HTML are interpreted
    assert (
        "@" not in rendered
        and "<img" not in rendered
        and "<script" not in rendered
        and "](" not in rendered.replace("\\](", "")
    )
    assert rendered.count("<details>") == rendered.count("</details>") == 1


def test_an_sns_summary_is_one_clean_line_and_the_message_json() -> None:
    from controller.aws.sns import encode

    text = "".join(HOSTILE)
    encoded = encode({"summary": f"m in dev: {text}", "failures": [text]})
    message = json.loads(encoded)
    assert "\n" not in message["summary"] and not CONTROL.search(message["summary"]) and len(message["summary"]) <= 500
    assert message["failures"] == [text]  # data stays data, JSON-escaped
    assert not CONTROL.search(encoded)


def test_github_annotations_escape_data_and_properties() -> None:
    diagnostic = Diagnostic("specs/a,b:c.yaml", 3, "spec.x", "100% wrong\r\nsecond line")
    assert github_annotation(diagnostic) == (
        "::error file=specs/a%2Cb%3Ac.yaml,line=3,col=1,title=modelctl validate%3A spec.x::"
        "100%25 wrong%0D%0Asecond line"
    )
