"""Shell handler and the shell command model other handlers reuse.

``simple_commands(text)`` splits shell text into simple commands (on ``&&``, ``||``, ``;``,
``|``, ``&``, newlines; line continuations, comments, quotes, ``$(...)`` and heredocs
understood) with exact offsets; ``docker_commands(text)`` finds docker/podman/buildah/nerdctl
invocations in them and the exact span of every image argument. A tokenizer, not
tree-sitter-bash: the words, quotes and offsets are all we need, and this also reads Makefile
recipes (``$(VAR)``, ``$$``) and prompt lines that are not valid bash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onetag.edits import Span
from onetag.finding import Context, Problem, RefSite, Scan

NAME = "shell"

TOOLS = ("docker", "podman", "buildah", "nerdctl")
_OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")")
_BREAK = set(" \t\r\n;&|()<>")
_RESERVED = {"if", "then", "do", "else", "elif", "while", "until", "!", "{", "}", "fi", "done", "esac", "time"}
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_TOOL_VARIABLE = re.compile(
    r"\$[({]?[A-Za-z_]*(?:DOCKER|PODMAN|NERDCTL|BUILDAH|ENGINE|CONTAINER_(?:TOOL|CLI|RUNTIME)|OCI_BIN)"
    r"[A-Za-z0-9_]*(?::?-[\w./-]*)?[)}]?",
    re.IGNORECASE,
)
_HEREDOC = re.compile(r"<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\2")


@dataclass(frozen=True)
class Word:
    """One shell word: ``span`` as written (quotes included), ``value`` with quotes removed."""

    span: Span
    raw: str
    value: str  # quotes and backslashes removed; $VARS, $(...) and `...` kept as written
    inner: Span  # where ``value`` stands in the text, when ``exact``
    exact: bool  # the text at ``inner`` is exactly ``value`` (one plain or one quoted piece)


@dataclass(frozen=True)
class Simple:
    """A simple command: its words and the operator that came before it ('' at the start)."""

    words: tuple[Word, ...]
    before: str
    comment: bool = False  # read from a comment (a commented-out command)

    @property
    def span(self) -> Span:
        return Span(self.words[0].span.start, self.words[-1].span.end)


@dataclass(frozen=True)
class Option:
    name: str  # "--tag", "-t"
    value: Word | None
    words: tuple[Word, ...]  # the words this option was written as (one or two)


@dataclass(frozen=True)
class Command:
    """A container tool invocation and what it names."""

    tool: str  # docker, podman, buildah, nerdctl
    subcommand: str  # as written after global options: "run", "buildx build", "manifest create", "bud"
    action: str  # normalised: run, create, pull, push, tag, build, manifest-create, manifest-push, ...
    images: tuple[Word, ...]  # image arguments, in order
    options: tuple[Option, ...]  # options of the subcommand, in order
    positionals: tuple[Word, ...]
    simple: Simple

    @property
    def span(self) -> Span:
        return self.simple.span

    @property
    def platform(self) -> str | None:
        value = self.option("--platform")
        if value is None and self.option("--arch") is not None:
            return f"linux/{self.option('--arch')}"
        return value

    @property
    def context(self) -> Word | None:
        """The build context (builds only)."""
        return self.positionals[-1] if self.action == "build" and self.positionals else None

    @property
    def pushes(self) -> bool:
        return self.action in ("push", "manifest-push") or (self.action == "build" and self.option("--push") is not None)

    def option(self, name: str) -> str | None:
        for opt in self.options:
            if opt.name == name:
                return opt.value.value if opt.value is not None else ""
        return None


# ---------------------------------------------------------------- tokenizer


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Word | tuple[str, Span]]:
    """Words and operators of ``text[start:end]``; comments come as ('#', span). Never raises."""
    end = len(text) if end is None else end
    out: list[Word | tuple[str, Span]] = []
    heredocs: list[tuple[str, bool]] = []
    i = start
    while i < end:
        c = text[i]
        if c in " \t":
            i += 1
        elif c == "\\" and text.startswith(("\n", "\r\n"), i + 1):
            i += 2 if text[i + 1] == "\n" else 3
        elif c in "\r\n":
            out.append(("\n", Span(i, i + 1)))
            i += 1
            if heredocs:
                i = _skip_heredocs(text, i, end, heredocs)
                heredocs = []
        elif c == "#":
            stop = _line_end(text, i, end)
            out.append(("#", Span(i, stop)))
            i = stop
        elif c in "<>" or (c == "&" and text.startswith(">", i + 1)):
            match = _HEREDOC.match(text, i, end)
            if match and not text.startswith("<<<", i):
                heredocs.append((match.group(3), match.group(1) == "-"))
                out.append(("<", Span(i, match.end())))
                i = match.end()
                continue
            j = i + 1
            while j < end and text[j] in "<>&|-" and j - i < 3:
                j += 1
            if text[j - 1] == "&" and j < end and text[j].isdigit():
                j += 1  # 2>&1: the target is part of the operator
            out.append(("<", Span(i, j)))
            i = j
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is not None:
                out.append((op, Span(i, i + len(op))))
                i += len(op)
                continue
            word, i = _read_word(text, i, end)
            if word.raw.isdigit() and i < end and text[i] in "<>":
                continue  # a file descriptor number in front of a redirection
            out.append(word)
    return out


def _line_end(text: str, i: int, end: int) -> int:
    while i < end and text[i] not in "\r\n":
        i += 1
    return i


def _skip_heredocs(text: str, i: int, end: int, heredocs: list[tuple[str, bool]]) -> int:
    for delimiter, strip_tabs in heredocs:
        while i < end:
            stop = _line_end(text, i, end)
            line = text[i:stop]
            i = stop + (2 if text.startswith("\r\n", stop) else 1)
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                break
    return min(i, end)


def _read_word(text: str, i: int, end: int) -> tuple[Word, int]:
    start = i
    value: list[str] = []
    pieces = 0  # quoted pieces; plain text counts as a piece when mixed
    plain = False
    escaped = False
    while i < end and text[i] not in _BREAK:
        c = text[i]
        if c == "\\":
            escaped = True
            if i + 1 < end and text[i + 1] not in "\r\n":
                value.append(text[i + 1])
            i += 2
        elif c == "'":
            stop = text.find("'", i + 1, end)
            stop = end if stop < 0 else stop
            value.append(text[i + 1:stop])
            pieces += 1
            i = stop + 1
        elif c == '"':
            i, inner, had_escape = _double_quoted(text, i + 1, end)
            value.append(inner)
            pieces += 1
            escaped = escaped or had_escape
        elif c == "`":
            stop = text.find("`", i + 1, end)
            stop = end if stop < 0 else stop + 1
            value.append(text[i:stop])
            plain = True
            i = stop
        elif c == "$" and i + 1 < end and text[i + 1] in "({":
            stop = _balanced(text, i + 1, end)
            value.append(text[i:stop])
            plain = True
            i = stop
        elif c == "$" and text.startswith("$", i + 1):
            value.append("$$")  # make's escaped dollar, or the shell's PID
            plain = True
            i += 2
        else:
            value.append(c)
            plain = True
            i += 1
    i = min(i, end)
    raw = text[start:i]
    joined = "".join(value)
    if not escaped and pieces == 0:
        inner, exact = Span(start, i), True
    elif not escaped and pieces == 1 and not plain and len(raw) >= 2 and raw[0] == raw[-1]:
        inner, exact = Span(start + 1, i - 1), text[start + 1:i - 1] == joined
    else:
        inner, exact = Span(start, i), False
    return Word(Span(start, i), raw, joined, inner, exact), i


def _double_quoted(text: str, i: int, end: int) -> tuple[int, str, bool]:
    """Scan a double-quoted piece from just after its opening quote: (next index, value, had escapes)."""
    value: list[str] = []
    escaped = False
    while i < end and text[i] != '"':
        c = text[i]
        if c == "\\" and i + 1 < end and text[i + 1] in '$`"\\\n':
            escaped = True
            if text[i + 1] != "\n":
                value.append(text[i + 1])
            i += 2
        elif c == "$" and i + 1 < end and text[i + 1] in "({":
            stop = _balanced(text, i + 1, end)
            value.append(text[i:stop])
            i = stop
        else:
            value.append(c)
            i += 1
    return min(i + 1, end), "".join(value), escaped


def _balanced(text: str, i: int, end: int) -> int:
    """Index just past the bracket group opening at ``i`` (quotes inside respected)."""
    pairs = {"(": ")", "{": "}"}
    stack = [pairs[text[i]]]
    i += 1
    while i < end and stack:
        c = text[i]
        if c in "'\"":
            stop = text.find(c, i + 1, end)
            i = end if stop < 0 else stop + 1
            continue
        if c == "\\":
            i += 2
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c == stack[-1]:
            stack.pop()
        i += 1
    return min(i, end)


# ---------------------------------------------------------------- simple commands


def simple_commands(text: str, start: int = 0, end: int | None = None, *, comments: bool = True) -> list[Simple]:
    """The simple commands of ``text[start:end]``, in order, with commented-out ones (``# docker ...``)
    marked ``comment`` when ``comments``. Command substitutions ``$(...)`` are read too."""
    out: list[Simple] = []
    words: list[Word] = []
    before = ""
    skip_next = False
    tokens = tokenize(text, start, end)
    for token in tokens:
        if isinstance(token, Word):
            if skip_next:
                skip_next = False
                continue
            if not words and token.raw in _RESERVED:
                continue
            words.append(token)
            out.extend(_substitutions(text, token))
            continue
        kind, span = token
        if kind == "<":
            skip_next = not text[span.start:span.end].startswith("<<") or text.startswith("<<<", span.start)
            continue
        if kind == "#":
            if comments:
                out.extend(_commented(text, span))
            continue
        if words:
            out.append(Simple(tuple(words), before))
            words = []
        before = kind if kind != "(" else before
    if words:
        out.append(Simple(tuple(words), before))
    return out


def _substitutions(text: str, word: Word) -> list[Simple]:
    """Commands inside ``$(...)`` in a word (``ID=$(docker create acme/app:1)``)."""
    out: list[Simple] = []
    i = word.span.start
    while True:
        i = text.find("$(", i, word.span.end)
        if i < 0 or text.startswith("$((", i):
            return out
        stop = _balanced(text, i + 1, word.span.end)
        if stop - i > 3:
            out.extend(simple_commands(text, i + 2, stop - 1))
        i = stop


_COMMENTED = re.compile(r"#+[ \t]*(?:\$[ \t]+)?(?=(?:sudo[ \t]+)?(?:docker|podman|buildah|nerdctl)[ \t])")


def _commented(text: str, span: Span) -> list[Simple]:
    match = _COMMENTED.match(text, span.start, span.end)
    if not match:
        return []
    return [Simple(s.words, s.before, True) for s in simple_commands(text, match.end(), span.end, comments=False)]


# ---------------------------------------------------------------- container commands


_TOOL_WORD = re.compile(r"(?<![\w.-])(?:docker|podman|buildah|nerdctl)(?![\w-])|DOCKER|PODMAN|ENGINE", re.IGNORECASE)


def mentions_tool(text: str) -> bool:
    """Cheap test: ``text`` may hold a container command (worth parsing as shell)."""
    return _TOOL_WORD.search(text) is not None


def docker_commands(text: str, start: int = 0, end: int | None = None) -> list[Command]:
    """Every docker/podman/buildah/nerdctl invocation in ``text[start:end]`` (comments included)."""
    out = []
    for simple in simple_commands(text, start, end):
        command = parse_command(simple)
        if command is not None:
            out.append(command)
    return out


def parse_command(simple: Simple) -> Command | None:
    """The container command of ``simple``, or None when it runs something else."""
    words = list(simple.words)
    i = _skip_prefixes(words)
    if i >= len(words):
        return None
    tool = _tool(words[i].value)
    if tool is None:
        return None
    i, _ = _options(words, i + 1, _GLOBAL_VALUE.get(tool, set()), _GLOBAL_SHORT.get(tool, ""))
    if i >= len(words):
        return None
    sub, action, i = _subcommand(tool, words, i)
    if action is None:
        return None
    long_values, short_values = _ACTION_FLAGS.get(action, (set(), ""))
    stop_at_first = action in ("run", "create")
    i, options, positionals = _arguments(words, i, _COMMON_VALUE | long_values, short_values, stop_at_first)
    images = _images(action, tool, options, positionals)
    return Command(tool, sub, action, tuple(images), tuple(options), tuple(positionals), simple)


def _skip_prefixes(words: list[Word]) -> int:
    """Index of the command word after assignments and sudo/env/exec/time/nohup/command."""
    i = 0
    while i < len(words):
        value = words[i].value
        if _ASSIGNMENT.match(value) and not value.startswith("-"):
            i += 1
        elif value in ("sudo", "doas"):
            i, _ = _options(words, i + 1, set(), "ugpCDhrtUT")
        elif value == "env":
            i, _ = _options(words, i + 1, {"--unset", "--chdir"}, "uC")
        elif value in ("exec", "time", "nohup", "command", "builtin", "eval"):
            i += 1
        else:
            return i
    return i


def _tool(value: str) -> str | None:
    name = value.rsplit("/", 1)[-1]
    name = name[:-4] if name.endswith(".exe") else name
    if name in TOOLS:
        return name
    if _TOOL_VARIABLE.fullmatch(value):
        lowered = value.lower()
        return next((t for t in TOOLS if t in lowered), "docker")
    return None


def _options(words: list[Word], i: int, long_values: set[str], short_values: str) -> tuple[int, list[Option]]:
    """Read options from ``i`` until the first positional word; return its index and the options."""
    options: list[Option] = []
    while i < len(words):
        option, i = _option(words, i, long_values, short_values)
        if option is None:
            break
        options.append(option)
    return i, options


def _option(words: list[Word], i: int, long_values: set[str], short_values: str) -> tuple[Option | None, int]:
    word = words[i]
    value = word.value
    if not value.startswith("-") or value in ("-", "--"):
        return None, i
    if value.startswith("--"):
        name, eq, _ = value.partition("=")
        if eq:
            return Option(name, _after(word, len(name) + 1), (word,)), i + 1
        if name in long_values and i + 1 < len(words):
            return Option(name, words[i + 1], (word, words[i + 1])), i + 2
        return Option(name, None, (word,)), i + 1
    # A cluster of short flags (-it, -dit); a value flag takes the rest of the word or the next one.
    for k, letter in enumerate(value[1:], start=1):
        if letter in short_values:
            name = "-" + letter
            if k + 1 < len(value):
                rest = value[k + 1:]
                cut = k + 2 if rest.startswith("=") else k + 1
                return Option(name, _after(word, cut), (word,)), i + 1
            if i + 1 < len(words):
                return Option(name, words[i + 1], (word, words[i + 1])), i + 2
            return Option(name, None, (word,)), i + 1
    return Option(value, None, (word,)), i + 1


def _after(word: Word, cut: int) -> Word:
    """The part of ``word`` after its first ``cut`` characters (``--tag=acme/app``: the image)."""
    if word.exact and word.inner == word.span:
        start = word.span.start + cut
        rest = word.raw[cut:]
        if len(rest) >= 2 and rest[0] == rest[-1] and rest[0] in "'\"" and "\\" not in rest:
            return Word(Span(start, word.span.end), rest, rest[1:-1], Span(start + 1, word.span.end - 1), True)
        return Word(Span(start, word.span.end), rest, rest, Span(start, word.span.end), True)
    # "--tag=acme/app" written with quotes or escapes: reread the part after the '='.
    head = word.raw.find("=")
    if head >= 0 and not any(q in word.raw[:head] for q in "'\"\\"):
        text = " " * (word.span.start + head + 1) + word.raw[head + 1:]
        sub, _ = _read_word(text, word.span.start + head + 1, len(text))
        return Word(sub.span, sub.raw, sub.value, sub.inner, sub.exact)
    value = word.value[cut:]
    return Word(word.span, word.raw, value, word.span, False)


def _subcommand(tool: str, words: list[Word], i: int) -> tuple[str, str | None, int]:
    first = words[i].value
    if tool == "buildah":
        action = _BUILDAH.get(first)
        return first, action, i + 1
    if first in ("image", "container") and i + 1 < len(words):
        second = words[i + 1].value
        action = _GROUPED.get((first, second))
        return f"{first} {second}", action, i + 2
    if first == "buildx":
        j, _ = _options(words, i + 1, {"--builder"}, "")
        if j < len(words) and words[j].value in ("build", "b"):
            return "buildx build", "build", j + 1
        if j + 1 < len(words) and words[j].value == "imagetools" and words[j + 1].value == "create":
            return "buildx imagetools create", "imagetools-create", j + 2
        return "buildx", None, j
    if first == "manifest" and i + 1 < len(words):
        second = words[i + 1].value
        action = _MANIFEST.get(second)
        return f"manifest {second}", action, i + 2
    return first, _ACTIONS.get(first), i + 1


def _arguments(
    words: list[Word], i: int, long_values: set[str], short_values: str, stop_at_first: bool
) -> tuple[int, list[Option], list[Word]]:
    options: list[Option] = []
    positionals: list[Word] = []
    while i < len(words):
        if words[i].value == "--":
            positionals.extend(words[i + 1:])
            return len(words), options, positionals
        option, j = _option(words, i, long_values, short_values)
        if option is None:
            positionals.append(words[i])
            if stop_at_first:
                return len(words), options, positionals  # the rest is the container's command
            i += 1
        else:
            options.append(option)
            i = j
    return i, options, positionals


def _images(action: str, tool: str, options: list[Option], positionals: list[Word]) -> list[Word]:
    tags = [o.value for o in options if o.value is not None and o.name in ("-t", "--tag", "--manifest")]
    if action == "build":
        return tags
    if action == "imagetools-create":
        return tags + positionals
    if action in ("run", "create", "pull", "from", "manifest-inspect"):
        return positionals[:1]
    if action == "commit":
        return positionals[1:2]
    if action == "push" and tool in ("podman", "buildah"):
        return [_strip_transport(w) for w in positionals[:2]]
    if action == "push":
        return positionals[:1]
    return positionals  # tag, manifest create/push/annotate/add, save, rmi


def _strip_transport(word: Word) -> Word:
    for prefix in ("docker://", "docker-daemon:"):
        if word.exact and word.value.startswith(prefix):
            cut = len(prefix)
            inner = Span(word.inner.start + cut, word.inner.end)
            return Word(word.span, word.raw, word.value[cut:], inner, True)
    return word


_ACTIONS = {
    "run": "run", "create": "create", "pull": "pull", "push": "push", "tag": "tag", "build": "build",
    "save": "save", "rmi": "rmi", "commit": "commit",
}
_GROUPED = {
    ("image", "build"): "build", ("image", "pull"): "pull", ("image", "push"): "push", ("image", "tag"): "tag",
    ("image", "save"): "save", ("image", "rm"): "rmi", ("container", "run"): "run", ("container", "create"): "create",
    ("container", "commit"): "commit",
}
_MANIFEST = {
    "create": "manifest-create", "push": "manifest-push", "annotate": "manifest-annotate",
    "add": "manifest-add", "inspect": "manifest-inspect", "rm": "manifest-rm",
}
_BUILDAH = {
    "bud": "build", "build": "build", "build-using-dockerfile": "build", "from": "from", "push": "push",
    "pull": "pull", "tag": "tag", "commit": "commit", "rmi": "rmi",
}
_GLOBAL_VALUE = {
    "docker": {"--context", "--host", "--config", "--log-level", "--tlscacert", "--tlscert", "--tlskey"},
    "podman": {"--connection", "--url", "--root", "--runroot", "--storage-driver", "--storage-opt",
               "--cgroup-manager", "--log-level", "--events-backend", "--identity", "--runtime", "--module"},
    "buildah": {"--root", "--runroot", "--storage-driver", "--storage-opt", "--registries-conf", "--log-level",
                "--userns-uid-map", "--userns-gid-map", "--cgroup-manager"},
    "nerdctl": {"--namespace", "--address", "--host", "--snapshotter", "--cgroup-manager", "--data-root"},
}
_GLOBAL_SHORT = {"docker": "cHl", "podman": "c", "nerdctl": "naH"}
# Long options that take a value, for any subcommand (docker, podman, buildah, nerdctl).
_COMMON_VALUE = {
    "--platform", "--arch", "--os", "--variant", "--authfile", "--creds", "--cert-dir", "--network", "--net",
    "--label", "--annotation", "--env", "--env-file", "--volume", "--secret", "--build-arg", "--build-context",
    "--file", "--tag", "--target", "--output", "--cache-from", "--cache-to", "--builder", "--progress",
    "--iidfile", "--metadata-file", "--ssh", "--add-host", "--shm-size", "--ulimit", "--memory", "--memory-swap",
    "--cpu-shares", "--cpuset-cpus", "--cpuset-mems", "--cpu-period", "--cpu-quota", "--isolation",
    "--cgroup-parent", "--format", "--digestfile", "--compression-format", "--compression-level", "--sign-by",
    "--manifest", "--jobs", "--timestamp", "--userns", "--runtime", "--decryption-key", "--from", "--name",
    "--attest", "--provenance", "--sbom", "--allow", "--call", "--no-cache-filter", "--security-opt", "--dns",
    "--retry", "--retry-delay", "--layer-label", "--unsetenv", "--volumes-from", "--pod", "--quiet-pull-policy",
}
_RUN_VALUE = {
    "--attach", "--blkio-weight", "--blkio-weight-device", "--cap-add", "--cap-drop", "--cgroupns", "--cidfile",
    "--cpu-rt-period", "--cpu-rt-runtime", "--cpus", "--detach-keys", "--device", "--device-cgroup-rule",
    "--device-read-bps", "--device-read-iops", "--device-write-bps", "--device-write-iops", "--dns-option",
    "--dns-search", "--domainname", "--entrypoint", "--expose", "--gpus", "--group-add", "--health-cmd",
    "--health-interval", "--health-retries", "--health-start-period", "--health-start-interval",
    "--health-timeout", "--hostname", "--ip", "--ip6", "--ipc", "--kernel-memory", "--label-file", "--link",
    "--link-local-ip", "--log-driver", "--log-opt", "--mac-address", "--memory-reservation",
    "--memory-swappiness", "--mount", "--network-alias", "--net-alias", "--oom-score-adj", "--pid",
    "--pids-limit", "--publish", "--pull", "--restart", "--stop-signal", "--stop-timeout", "--storage-opt",
    "--sysctl", "--tmpfs", "--user", "--uts", "--volume-driver", "--workdir", "--cgroups", "--cgroup-conf",
    "--pidfile", "--requires", "--sdnotify", "--seccomp-policy", "--tz", "--umask", "--uidmap", "--gidmap",
    "--subuidname", "--subgidname", "--conmon-pidfile", "--hostuser", "--image-volume", "--init-path",
    "--passwd-entry", "--personality", "--preserve-fds", "--rdt-class", "--timeout", "--chrootdirs",
}
_ACTION_FLAGS: dict[str, tuple[set[str], str]] = {
    "run": (_RUN_VALUE, "acehlmpuvw"),
    "create": (_RUN_VALUE, "acehlmpuvw"),
    "build": (set(), "fmtcov"),
    "push": (set(), "f"),
    "imagetools-create": (set(), "tf"),
    "from": (set(), "v"),
    "save": ({"--output"}, "o"),
    "commit": ({"--author", "--message", "--change"}, "acm"),
}


# ---------------------------------------------------------------- the handler


def scan(text: str, ctx: Context) -> Scan:
    """Image references in container commands of a shell script, Makefile or shell session."""
    name = ctx.path.name
    if name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk"):
        ranges = _make_recipes(text)
    elif not name.endswith((".sh", ".bash", ".zsh")) and _PROMPT.search(text):
        return scan_session(text, ctx)
    else:
        ranges = [(0, len(text))]
    return _scan_ranges(text, ranges, ctx)


def scan_session(text: str, ctx: Context) -> Scan:
    """A terminal session (```console): only lines that start with a ``$`` prompt are commands."""
    return _scan_ranges(text, _prompt_lines(text), ctx)


_PROMPT = re.compile(r"^[ \t]*\$[ \t]", re.MULTILINE)
_RECIPE_PREFIX = re.compile(r"\t[ \t@+-]*")


def _scan_ranges(text: str, ranges: list[tuple[int, int]], ctx: Context) -> Scan:
    refs: list[RefSite] = []
    problems: list[Problem] = []
    for start, end in ranges:
        for command in docker_commands(text, start, end):
            refs.extend(command_refs(command))
            problem = per_arch_problem(command, ctx)
            if problem is not None:
                problems.append(problem)
    return Scan(tuple(refs), tuple(problems))


def command_refs(command: Command) -> list[RefSite]:
    """The image arguments of ``command`` as reference sites (inexact words count as evidence only)."""
    where = f"{command.tool} {command.subcommand}"
    out = []
    for word in command.images:
        if not word.value or word.value.startswith("-"):
            continue
        out.append(RefSite(word.inner, word.value, where, commented=command.simple.comment, evidence_only=not word.exact))
    return out


def per_arch_problem(command: Command, ctx: Context) -> Problem | None:
    """OT301 when ``command`` builds, tags or pushes an architecture-specific image (report only).

    The command is covered: renaming the image inside a per-architecture build or push would
    publish one architecture under the multi-platform name."""
    from onetag import archnames

    if command.action not in ("build", "push", "tag") or command.simple.comment:
        return None
    names = command.images[-1:] if command.action == "tag" else command.images
    for word in names:
        proposal = archnames.detect(word.value)
        if proposal is None:
            continue
        unified = proposal.new
        verb = "builds" if command.action == "build" else "tags" if command.action == "tag" else "pushes"
        message = (
            f"'{command.tool} {command.subcommand}' {verb} the {proposal.arch}-only image '{word.value}'; "
            f"build and push every platform as one tag instead: docker buildx build --platform "
            f"{','.join(ctx.platforms)} -t {unified} --push ."
        )
        return Problem("OT301", command.span, message, covers=(command.span,))
    return None


def _make_recipes(text: str) -> list[tuple[int, int]]:
    """Ranges of Makefile recipe lines (tab-indented), without the tab and the @/-/+ prefixes.

    A recipe line ending in a backslash continues on the next line, whatever its indentation."""
    out = []
    i = 0
    continued = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if continued:
            out.append((i, i + len(body)))
        elif line.startswith("\t"):
            prefix = _RECIPE_PREFIX.match(line).end()
            out.append((i + prefix, i + len(body)))
        continued = (continued or line.startswith("\t")) and body.endswith("\\")
        i += len(line)
    return _join_continued(text, out)


def _join_continued(text: str, ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for start, end in ranges:
        if joined and text[joined[-1][1] - 1:joined[-1][1]] == "\\":
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _prompt_lines(text: str) -> list[tuple[int, int]]:
    out = []
    i = 0
    continued = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _PROMPT.match(body)
        if continued:
            out.append((i, i + len(body)))
        elif match:
            out.append((i + match.end(), i + len(body)))
        continued = (continued or bool(match)) and body.endswith("\\")
        i += len(line)
    return _join_continued(text, out)
