"""The container command model: docker/podman/buildah/nerdctl invocations found in simple
commands, with their subcommand, options and the exact span of every image argument."""

from __future__ import annotations

import re
from dataclasses import dataclass

from onetag.edits import Span

from onetag.migrate.shell_words import ASSIGNMENT, TOOL_VARIABLE, Simple, Word, read_word, simple_commands

TOOLS = ("docker", "podman", "buildah", "nerdctl")


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
        if ASSIGNMENT.match(value) and not value.startswith("-"):
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
    if TOOL_VARIABLE.fullmatch(value):
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
        sub, _ = read_word(text, word.span.start + head + 1, len(text))
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
