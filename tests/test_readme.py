"""The README's examples, run: every example in it must be true.

- every shell command quotes its ``*`` and ``[`` (a shell would glob them);
- every ``curl`` is sent to a real server and answers 2xx, or the refusal the README shows;
- every JSON answer shown after a ``curl`` is found in its answer: an object matches where the answer has
  an object with those keys and values (the README abridges: other keys are allowed, lists are compared
  whole); answers quoted in the prose are checked by name below, and the README must still contain them;
- every ``$ convplan ...`` transcript prints what it shows (``...`` stands for any lines) and exits as its
  ``echo "exit status $?"`` says;
- every Python ``expression  # result`` comment, and the printed output of each snippet, is what it gives.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from convplan.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Block:
    lang: str
    line: int  # of the opening fence, 1-based
    text: str


def _blocks(text: str = README) -> list[Block]:
    out, lines, k = [], text.splitlines(), 0
    while k < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[k])
        if fence is None:
            k += 1
            continue
        end = next(j for j in range(k + 1, len(lines)) if lines[j].startswith("```"))
        out.append(Block(fence.group(1), k + 1, "\n".join(lines[k + 1:end])))
        k = end + 1
    return out


BLOCKS = _blocks()
#: The client package's own README repeats the client section's snippets: they are run too.
CLIENT_BLOCKS = _blocks((ROOT / "clients" / "python" / "README.md").read_text(encoding="utf-8"))


def _commands(block: Block) -> list[str]:
    """A block's shell commands: a ``sh`` block's lines (continuations joined, comments dropped), or the
    ``$ `` lines of a transcript."""
    if block.lang == "sh":
        joined = block.text.replace("\\\n", " ")
        commands, current = [], ""
        for line in joined.splitlines():  # a quoted body spans lines: one command until its quotes close
            current = f"{current}\n{line}" if current else line
            if _balanced(current):
                if current.strip() and not current.lstrip().startswith("#"):
                    commands.append(current)
                current = ""
        return commands
    if block.lang == "":
        out = []
        lines = block.text.splitlines()
        for k, line in enumerate(lines):
            if line.startswith("$ ") and not line.startswith("$ #"):
                command = line[2:]
                while command.endswith("\\") and k + 1 < len(lines):
                    k += 1
                    command = command[:-1] + " " + lines[k].strip()
                out.append(command)
        return out
    return []


def _balanced(text: str) -> bool:
    quote = None
    for ch in text:
        if quote is None and ch in "'\"":
            quote = ch
        elif ch == quote:
            quote = None
    return quote is None


def _unquoted_globs(command: str) -> list[str]:
    """Words of ``command`` with ``*``, ``[`` or ``?`` outside quotes (``$?`` is a parameter, not a glob)."""
    found, quote, word, bad = [], None, "", False
    for k, ch in enumerate(command + " "):
        if quote is not None:
            word += ch
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            word += ch
        elif ch.isspace() or ch in ";|&>":
            if bad:
                found.append(word)
            word, bad = "", False
        else:
            word += ch
            if ch in "*[" or (ch == "?" and command[k - 1:k] != "$"):
                bad = True
    return found


ALL_COMMANDS = [(b.line, c) for b in BLOCKS for c in _commands(b)]


class TestShellQuoting:
    @pytest.mark.parametrize(("line", "command"), ALL_COMMANDS, ids=[f"line{n}" for n, _ in ALL_COMMANDS])
    def test_globs_are_quoted(self, line: int, command: str) -> None:
        assert _unquoted_globs(command) == [], f"README line {line}: quote {_unquoted_globs(command)}"

    def test_the_check_finds_an_unquoted_glob(self) -> None:
        assert _unquoted_globs("convplan shape 16*n conv:k=3") == ["16*n"]
        assert _unquoted_globs("convplan shape '16*n' --input '[[1]]'; echo \"exit $?\"") == []
        assert _unquoted_globs("convplan shape [H,W]") == ["[H,W]"]


# --- curl ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Curl:
    line: int
    method: str
    url: str
    body: bytes | None
    content_type: str | None


def _curl(line: int, command: str) -> Curl:
    words = shlex.split(command.split("|")[0].split(" > ")[0])
    assert words[0] == "curl"
    url = body = content_type = None
    k = 1
    while k < len(words):
        word = words[k]
        if word in ("-d", "--data-binary"):
            value = words[k + 1]
            body = (ROOT / value[1:]).read_bytes() if value.startswith("@") else value.encode()
            k += 2
        elif word == "-H":
            name, _, value = words[k + 1].partition(":")
            if name.lower() == "content-type":
                content_type = value.strip()
            k += 2
        elif word.startswith("-"):
            k += 1
        else:
            url = word
            k += 1
    assert url is not None and url.startswith("localhost:8000/"), f"README line {line}: {command}"
    return Curl(line, "POST" if body is not None else "GET", url.removeprefix("localhost:8000"), body,
                content_type)


CURLS = [_curl(line, c) for line, c in ALL_COMMANDS if c.startswith("curl")]


@pytest.fixture(scope="module")
def api(live_server: str) -> Iterator[httpx.Client]:
    """The session's real server (tests/conftest.py), as the README's curls reach one."""
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def _send(api: httpx.Client, curl: Curl) -> Any:
    headers = {} if curl.content_type is None else {"content-type": curl.content_type}
    response = api.request(curl.method, curl.url, content=curl.body, headers=headers)
    return response


def _curl_near(text: str, path: str | None = None) -> Curl:
    """The README's curl whose command contains ``text`` (exactly one; ``path``: to that URL)."""
    lines = {line for line, c in ALL_COMMANDS
             if c.startswith("curl") and text in c and (path is None or f"localhost:8000{path} " in c)}
    assert len(lines) == 1, f"{len(lines)} curl examples contain {text!r}"
    (line,) = lines
    return next(c for c in CURLS if c.line == line)


def matches(shown: Any, answer: Any) -> bool:
    """``shown`` is ``answer`` abridged: an object's keys are a subset, lists are whole."""
    if isinstance(shown, dict):
        return isinstance(answer, dict) and all(k in answer and matches(v, answer[k]) for k, v in shown.items())
    if isinstance(shown, list):
        return (isinstance(answer, list) and len(shown) == len(answer)
                and all(matches(s, a) for s, a in zip(shown, answer)))
    return type(shown) is type(answer) and shown == answer  # 5 and 5.0 print differently: a README says which


def found(shown: Any, answer: Any) -> bool:
    """Whether ``shown`` matches ``answer`` or any object or list inside it."""
    if matches(shown, answer):
        return True
    if isinstance(answer, dict):
        return any(found(shown, v) for v in answer.values())
    if isinstance(answer, list):
        return any(found(shown, v) for v in answer)
    return False


def quoted(text: str) -> Any:
    """``text`` (a JSON fragment that must be in the README, spaces as there) parsed: an object, or
    ``"key": value, ...`` members as one."""
    assert " ".join(text.split()) in " ".join(README.split()), f"the README no longer says {text!r}"
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads("{" + text + "}")


def _shown_json(curl: Curl) -> list[Any]:
    """The JSON block right after a curl's block (only prose between), as the objects it shows: the whole
    block, or one object per line, or ``"key": value`` members; [] where the next block is not JSON."""
    index = next(k for k, b in enumerate(BLOCKS) if b.line <= curl.line and _block_end(b) >= curl.line)
    if index + 1 >= len(BLOCKS) or BLOCKS[index + 1].lang != "json":
        return []
    text = BLOCKS[index + 1].text
    for parse in (lambda: [json.loads(text)],
                  lambda: [json.loads(line) for line in text.splitlines() if line.strip()],
                  lambda: [json.loads("{" + text + "}")]):
        try:
            return parse()
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"README line {BLOCKS[index + 1].line}: the JSON block does not parse")


def _block_end(block: Block) -> int:
    return block.line + block.text.count("\n") + 1


#: The curls the README shows refused, by a piece of their command: the status they answer.
REFUSED = {'"output_size": [7]': 422, '"training": true': 422}
#: Curls whose next JSON block answers another request, described in the prose between (tested below).
NOT_THEIRS = ('"input_size": ["16*n"]',)


class TestCurlExamples:
    @pytest.mark.parametrize("curl", CURLS, ids=[f"line{c.line}" for c in CURLS])
    def test_answers_what_the_readme_shows(self, api: httpx.Client, curl: Curl) -> None:
        command = next(c for line, c in ALL_COMMANDS if line == curl.line and "curl" in c)
        status = next((s for piece, s in REFUSED.items() if piece in command), None)
        response = _send(api, curl)
        if status is None:
            assert response.status_code == 200, f"README line {curl.line}: {response.text[:500]}"
        else:
            assert response.status_code == status, f"README line {curl.line}: {response.text[:500]}"
        if "json" not in response.headers["content-type"]:
            return
        answer = response.json()
        if any(piece in command for piece in NOT_THEIRS):
            return
        for shown in _shown_json(curl):
            assert found(shown, answer), f"README line {curl.line}: {shown} is not in the answer {answer}"

    def test_the_match_is_not_vacuous(self) -> None:
        assert matches({"a": [1, 2]}, {"a": [1, 2], "b": 3})
        assert not matches({"a": [1, 2]}, {"a": [1, 2, 3]})
        assert not matches({"a": 1}, {"a": 1.5})
        assert not matches({"a": True}, {"a": 1})
        assert not matches({"a": 5}, {"a": 5.0})
        assert found({"x": 0}, {"layers": [{"x": 1}, {"x": 0, "y": 2}]})
        assert not found({"x": 0, "y": 3}, {"layers": [{"x": 1}, {"x": 0, "y": 2}]})

    def test_symbolic_sizes_per_layer(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"input_size": ["16*n"]')).json()
        assert "sizes per\nlayer `16*n, 8*n, 8*n, 4*n, 8*n, 16*n`" in README
        assert [layer["output_size"][0] for layer in answer["layers"]] == ["16*n", "8*n", "8*n", "4*n", "8*n",
                                                                            "16*n"]

    def test_conditions_on_h(self, api: httpx.Client) -> None:
        assert "On `\"H\"`, a 3x3 conv then a 2x2 pool gives\n`\"output_size\": [\"floor(H/2) - 1\"]`" in README
        answer = api.post("/v1/shapes", json={"input_size": ["H"], "layers": [
            {"op": "conv", "kernel_size": 3}, {"op": "max_pool", "kernel_size": 2}]}).json()
        assert answer["output_size"] == ["floor(H/2) - 1"]
        block = next(b for b in BLOCKS if b.lang == "json" and b.text.startswith('"conditions"'))
        assert matches(json.loads("{" + block.text + "}"), answer)

    def test_padded_unet_mismatch(self, api: httpx.Client) -> None:
        assert "The padded U-Net (`\"padding\": 1`) on 100 with `\"align\": \"none\"`" in README
        body = json.loads(_curl_near('"name": "unet", "depth": 4, "conv"', "/v1/plan").body or b"")
        body["template"]["conv"]["padding"] = 1
        answer = api.post("/v1/plan", json={**body, "input_size": [100], "align": "none"}).json()
        block = next(b for b in BLOCKS if b.lang == "json" and b.text.startswith('"ok": false'))
        assert matches(json.loads("{" + block.text + "}"), answer)
        skip = answer["skips"][1]
        assert "`\"pad\": [[0, 1]]`" in README and skip["pad"] == [[0, 1]] and skip["crop"] == [[0, 1]]

    def test_plan_valid_sizes(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"name": "unet", "depth": 4, "conv"', "/v1/plan")).json()
        assert answer["ok"] is True and answer["output_size"] == [388]
        assert found(quoted('"valid_input_sizes": [{"modulus": 16, "residues": [12], "min": 188, "nearest": '
                            '{"below": 572, "above": 572}, "output_size": "i - 184"}]'), answer)

    def test_transposed_conv_explain(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"weight": [[[1, 1, 1]]], "stride": 2, "explain": true')).json()
        assert found(quoted('"output": [[[1.0, 1.0, 3.0, 2.0, 5.0, 3.0, 3.0]]], "shape": [1, 1, 7]'), answer)
        explain = answer["explain"]
        for name, text in (("zero_inserted", "[[[1, 0, 2, 0, 3]]]"), ("padded", "[[[0, 0, 1, 0, 2, 0, 3, 0, 0]]]"),
                           ("conv_matrix", "[[1, 1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1, 1]]")):
            assert quoted(text) == explain[name], name  # the prose writes these floats as ints
        assert explain["equivalent_conv"]["output"] == answer["output"]
        assert "`conv_matrix_is_forward_conv: true`" in README and explain["conv_matrix_is_forward_conv"] is True

    def test_a_class_name_is_refused_with_the_op(self, api: httpx.Client) -> None:
        shown = "`unknown op\n'ConvTranspose2d': did you mean 'conv_transpose'?`"
        assert shown in README
        answer = api.post("/v1/shapes", json={"input_size": [8], "layers": [{"op": "ConvTranspose2d"}]}).json()
        assert answer["errors"][0]["msg"].startswith(" ".join(shown.strip("`").split()))

    def test_max_pool_indices(self, api: httpx.Client) -> None:
        body = quoted('{"input": [[[1, 5, 2, 4, 3]]], "kernel_size": 2}')
        answer = api.post("/v1/compute/max_pool", json=body).json()
        assert matches(quoted('{"output": [[[5.0, 4.0]]], "shape": [1, 1, 2], "indices": [[[1, 3]]]}'), answer)

    def test_lp_pool(self, api: httpx.Client) -> None:
        body = quoted('{"input": [[[3, 4, 0, 5]]], "norm_type": 2, "kernel_size": 2}')
        answer = api.post("/v1/compute/lp_pool", json=body).json()
        assert matches(quoted('{"output": [[[5.0, 5.0]]], "shape": [1, 1, 2]}'), answer)

    def test_residual_block(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"id": "shortcut"')).json()
        assert answer["ok"] is True
        assert matches(quoted('"outputs": [{"id": "sum", "size": [32, 32],\n"channels": 32}]'), answer)
        assert matches(quoted('"params": 14432'), answer)
        assert answer["merges"][0]["registered"] is True
        clean = quoted('{"modulus": 1, "residues": [0], "min": 1, "extra":\n[], "output_size": {"sum": {"0": '
                       '"floor((i + 1)/2)"}}}')
        for axis in answer["valid_input_sizes"]:
            assert matches(clean, axis["clean"]), axis

    def test_where_conditions(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"where": [{"axis": 1')).json()
        axes = answer["valid_input_sizes"]
        assert matches(quoted('{"modulus": 1, "residues": [0], "min": 2,\n"output_size": {"up": {"0": '
                              '"2*floor(i/2)"}}}'), axes[0]["runs"])
        assert matches(quoted('{"modulus": 2,\n"residues": [0], "min": 2, "output_size": {"up": {"0": "i"}}}'),
                       axes[1]["runs"])
        warning = "input x: valid_input_sizes on axis 1 kept inside where[0] (x_3 % 2 == 0 (net.py:12 in forward))"
        assert " ".join(f"`{warning}`".split()) in " ".join(README.split())
        assert warning in answer["warnings"]

    def test_batch_norm_in_training(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near('"training": true')).json()
        message = ("batch_norm: Expected more than 1 value per channel when training (batch 1, spatial size 1 x "
                   "1; training)")
        assert " ".join(message.split()) in " ".join(README.split())
        assert answer["errors"][0]["loc"] == ["body", "layers", 0] and answer["errors"][0]["msg"] == message
        body = json.loads(_curl_near('"training": true').body or b"")
        del body["training"]
        evaluated = api.post("/v1/shapes", json=body).json()
        assert evaluated["output_size"] == [1, 1] and evaluated["params"] == 16

    def test_limits_neutral_weight(self, api: httpx.Client) -> None:
        line = '{"name":"neutral_layer_weight","value":0.25,'
        block = next(b for b in BLOCKS if line in b.text)
        shown = json.loads(next(x for x in block.text.splitlines() if x.startswith(line)))
        assert shown in api.get("/v1/limits").json()["limits"]

    def test_onnx_outputs(self, api: httpx.Client) -> None:
        answer = _send(api, _curl_near("fcn8s.onnx")).json()
        block = next(b for b in BLOCKS if "fcn8s.onnx" in b.text)
        shown = json.loads(block.text.splitlines()[2])
        assert answer["analysis"]["outputs"] == shown


# --- the command line --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transcript:
    line: int
    argv: list[str]
    expected: list[str]
    status: int | None


def _transcripts() -> list[Transcript]:
    out = []
    for block in BLOCKS:
        if block.lang != "":
            continue
        lines = block.text.splitlines()
        starts = [k for k, line in enumerate(lines) if line.startswith("$ ")]
        for n, k in enumerate(starts):
            command = lines[k][2:]
            if not command.startswith("convplan "):
                continue
            status = None
            if command.endswith('; echo "exit status $?"'):
                command = command.removesuffix('; echo "exit status $?"')
            end = starts[n + 1] if n + 1 < len(starts) else len(lines)
            expected = lines[k + 1:end]
            if expected and expected[-1].startswith("exit status "):
                status = int(expected.pop().removeprefix("exit status "))
            out.append(Transcript(block.line + k + 1, shlex.split(command)[1:], expected, status))
    return out


TRANSCRIPTS = _transcripts()


def _abridged(expected: list[str], printed: list[str]) -> bool:
    """``expected`` is ``printed`` with ``...`` lines standing for any run of lines (trailing spaces aside)."""
    pattern = "\n".join(".*?" if line == "..." else re.escape(line.rstrip()) for line in expected)
    pattern = pattern.replace("\n.*?\n", "(?:\n.*?)?\n")
    return re.fullmatch(pattern, "\n".join(line.rstrip() for line in printed), re.DOTALL) is not None


class TestCommandLineTranscripts:
    def test_every_transcript_is_found(self) -> None:
        assert len(TRANSCRIPTS) >= 10
        assert {t.argv[0] for t in TRANSCRIPTS} >= {"shape", "plan", "compute", "compare", "check"}

    @pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[f"line{t.line}" for t in TRANSCRIPTS])
    def test_prints_what_the_readme_shows(self, transcript: Transcript, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("CONVPLAN_BASE_URL", raising=False)
        monkeypatch.chdir(ROOT)  # paths in the README are from the repository root
        try:
            code = main(transcript.argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        printed = (out + err).splitlines()
        assert code == (0 if transcript.status is None else transcript.status), out + err
        assert _abridged(transcript.expected, printed), (
            f"README line {transcript.line}: shows\n" + "\n".join(transcript.expected) + "\nprinted\n" + out + err)

    def test_the_abridged_match_is_not_vacuous(self) -> None:
        assert _abridged(["a", "...", "d"], ["a", "b", "c", "d"])
        assert _abridged(["a", "...", "d"], ["a", "d"])
        assert not _abridged(["a", "...", "d"], ["a", "b", "c"])
        assert not _abridged(["a", "b"], ["a", "b", "c"])


# --- Python --------------------------------------------------------------------------------------------


def _python_blocks(blocks: list[Block] = BLOCKS) -> list[Block]:
    return [b for b in blocks if b.lang == "python"]


def _results(source: str) -> list[tuple[str, str]]:
    """The ``expression  # result`` lines of a snippet."""
    out = []
    for line in source.splitlines():
        parts = re.match(r"^(\S.*?)\s+# (.*)$", line)
        if parts is None:
            continue
        code, comment = parts.groups()
        try:
            ast.parse(code.strip(), mode="eval")
        except SyntaxError:
            continue
        comment = comment.strip()
        if (comment and comment[0] in "[({'\"0123456789-") or comment.startswith(("True", "False", "array(")):
            out.append((code.strip(), comment))
    return out


def _same(value: Any, shown: str) -> bool:
    text = "".join(repr(value).split())
    shown = "".join(shown.split())
    return text in (shown, f"({shown})")


class TestPythonSnippets:
    """The snippets of the client section and the library, in one namespace (later ones use ``client``)."""

    @pytest.mark.parametrize("blocks", [BLOCKS, CLIENT_BLOCKS], ids=["README", "clients/python/README"])
    def test_results_are_what_the_comments_say(self, blocks: list[Block], capsys: pytest.CaptureFixture[str]) -> None:
        from convplan_client import Client

        namespace: dict[str, Any] = {}
        checked = 0
        for block in _python_blocks(blocks):
            source = block.text
            if "AsyncClient(" in source or "UNetPaper()" in source or "except" in source:
                continue  # a server, torch, and the error snippet: their own tests below
            with Client() as client:  # a snippet that opens its own closes it: the next one has a fresh one
                namespace["client"] = client
                exec(compile(source, f"README.md:{block.line}", "exec"), namespace)  # our README's own code
                for code, comment in _results(source):
                    value = eval(code, namespace)  # our README's own expression
                    assert _same(value, comment), f"README line {block.line}: {code} gives {value!r}, not {comment}"
                    checked += 1
        assert checked >= 7
        printed = capsys.readouterr().out.splitlines()
        sync = next(b for b in blocks if b.lang == "python" and "print(result.output_size" in b.text)
        shown = blocks[blocks.index(sync) + 1].text.splitlines()
        assert printed[:len(shown)] == shown

    @pytest.mark.parametrize("blocks", [BLOCKS, CLIENT_BLOCKS], ids=["README", "clients/python/README"])
    def test_the_error_snippet(self, blocks: list[Block], capsys: pytest.CaptureFixture[str]) -> None:
        from convplan_client import Client

        block = next(b for b in _python_blocks(blocks) if "except UnprocessableEntityError" in b.text)
        with Client() as client:
            exec(compile(block.text, f"README.md:{block.line}", "exec"), {"client": client})
        shown = blocks[blocks.index(block) + 1].text.splitlines()
        assert capsys.readouterr().out.splitlines() == shown

    @pytest.mark.parametrize("blocks", [BLOCKS, CLIENT_BLOCKS], ids=["README", "clients/python/README"])
    def test_the_async_snippet(self, blocks: list[Block], live_server: str, capsys: pytest.CaptureFixture[str]) -> None:
        block = next(b for b in _python_blocks(blocks) if "AsyncClient(" in b.text)
        source = block.text.replace('"http://localhost:8000"', repr(live_server))
        exec(compile(source, f"README.md:{block.line}", "exec"), {})
        version, size = capsys.readouterr().out.split(" ", 1)
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version) and size.strip() == "[570]"

    def test_the_module_snippet(self) -> None:
        pytest.importorskip("torch")
        from convplan_client import Client
        from tests.client.torch_networks import UNetPaper

        block = next(b for b in _python_blocks() if "UNetPaper()" in b.text)
        namespace: dict[str, Any] = {"UNetPaper": UNetPaper, "Client": Client}
        exec(compile(block.text.replace("from convplan_client import Client\n", ""), "README", "exec"), namespace)
        results = _results(block.text)
        assert len(results) >= 5
        for code, comment in results:
            value = eval(code, namespace)
            assert _same(value, comment), f"README line {block.line}: {code} gives {value!r}, not {comment}"
