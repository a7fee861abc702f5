"""Shell handler: the command model as a table, fixture pairs through the real CLI, properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pairs import check_pair, params
from onetag.finding import Context
from onetag.migrate import shell

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("source", params(FIXTURES / "shell"))
def test_shell_fixture(source: Path, tmp_path: Path) -> None:
    check_pair(source, tmp_path)


# (input, expected [(subcommand, [image values])]) -- image values are checked against their spans too.
MODEL = [
    pytest.param("docker run -it --rm acme/app-arm:1 sh -c 'echo hi'", [("run", ["acme/app-arm:1"])], id="run-short-cluster"),
    pytest.param("docker run -e A=1 -v /a:/b -p 80:80 --name x -w /w -u 1000 --entrypoint sh node:20 -e", [("run", ["node:20"])], id="run-value-flags"),
    pytest.param("docker run --network=host --mount type=bind,src=a,dst=b --label a=b x/y:1", [("run", ["x/y:1"])], id="run-long-values"),
    pytest.param("docker run -p8080:80 -eA=1 img:2", [("run", ["img:2"])], id="attached-short-values"),
    pytest.param("docker run --platform linux/arm64 img:3 --platform x", [("run", ["img:3"])], id="args-after-image"),
    pytest.param('docker pull "arm64v8/node:${TAG:-20}"', [("pull", ["arm64v8/node:${TAG:-20}"])], id="double-quoted"),
    pytest.param("docker pull 'acme/app:$V'", [("pull", ["acme/app:$V"])], id="single-quoted"),
    pytest.param("sudo -E docker push acme/app:$VERSION | tee log", [("push", ["acme/app:$VERSION"])], id="sudo-pipe"),
    pytest.param("sudo -u ci docker pull a:1", [("pull", ["a:1"])], id="sudo-user"),
    pytest.param("FOO=1 env -u X docker pull a:1", [("pull", ["a:1"])], id="env-prefix"),
    pytest.param("docker tag a:1 b-arm:1 && docker push b-arm:1", [("tag", ["a:1", "b-arm:1"]), ("push", ["b-arm:1"])], id="and-chain"),
    pytest.param("docker pull a || docker pull b; docker pull c &", [("pull", ["a"]), ("pull", ["b"]), ("pull", ["c"])], id="or-semicolon-background"),
    pytest.param("docker build \\\n  --tag=acme/app:1-arm64 \\\n  -tacme/x -f Dockerfile.arm .", [("build", ["acme/app:1-arm64", "acme/x"])], id="continuation-tag-forms"),
    pytest.param("docker buildx build --platform=linux/arm64 -t a/b-arm --push .", [("buildx build", ["a/b-arm"])], id="buildx"),
    pytest.param("docker buildx --builder ci build -t a/b .", [("buildx build", ["a/b"])], id="buildx-builder"),
    pytest.param("docker --context remote image tag a b-arm", [("image tag", ["a", "b-arm"])], id="global-option-image-tag"),
    pytest.param("docker container run --rm a:1", [("container run", ["a:1"])], id="container-run"),
    pytest.param("docker create --name x a:1", [("create", ["a:1"])], id="create"),
    pytest.param("docker manifest create a:1 a:1-amd64 a:1-arm64", [("manifest create", ["a:1", "a:1-amd64", "a:1-arm64"])], id="manifest-create"),
    pytest.param("docker manifest push --purge a:1", [("manifest push", ["a:1"])], id="manifest-push"),
    pytest.param("docker buildx imagetools create -t a:1 a:1-amd64 a:1-arm64", [("buildx imagetools create", ["a:1", "a:1-amd64", "a:1-arm64"])], id="imagetools"),
    pytest.param("podman push a docker://quay.io/a/b-arm:1", [("push", ["a", "quay.io/a/b-arm:1"])], id="podman-push-transport"),
    pytest.param("buildah bud --manifest a:1 -t x-arm .", [("bud", ["a:1", "x-arm"])], id="buildah-bud"),
    pytest.param("buildah from --name w arm64v8/alpine", [("from", ["arm64v8/alpine"])], id="buildah-from"),
    pytest.param("nerdctl -n k8s.io pull a:1", [("pull", ["a:1"])], id="nerdctl-namespace"),
    pytest.param("ID=$(docker create a-arm:1)", [("create", ["a-arm:1"])], id="command-substitution"),
    pytest.param("$(DOCKER) build -t $(IMAGE)-arm:$(VERSION) .", [("build", ["$(IMAGE)-arm:$(VERSION)"])], id="make-variables"),
    pytest.param("docker run a:$${TAG}", [("run", ["a:$${TAG}"])], id="make-dollar-dollar"),
    pytest.param("# docker pull a-arm:1", [("pull", ["a-arm:1"])], id="commented-command"),
    pytest.param("docker run b-arm 2>&1 >/dev/null", [("run", ["b-arm"])], id="redirections"),
    pytest.param("cat <<EOF\ndocker run a-arm\nEOF\ndocker run b", [("run", ["b"])], id="heredoc-skipped"),
    pytest.param("if true; then docker pull a; fi", [("pull", ["a"])], id="reserved-words"),
    pytest.param("docker run -- a:1", [("run", ["a:1"])], id="double-dash"),
    pytest.param("gpg --dearmor -o k.gpg; echo charm farm harmony", [], id="no-docker"),
    pytest.param("docker ps -a; docker images arm", [], id="no-image-subcommand"),
    pytest.param("dockerd --debug; my-docker run x", [], id="not-the-tool"),
    pytest.param("echo 'docker run a-arm'", [], id="inside-a-string"),
    pytest.param('docker pull "unterminated', [("pull", ["unterminated"])], id="unterminated-quote"),
]


@pytest.mark.parametrize(("text", "expected"), MODEL)
def test_command_model(text: str, expected: list) -> None:
    commands = shell.docker_commands(text)
    assert [(c.subcommand, [w.value for w in c.images]) for c in commands] == expected
    for command in commands:
        for word in command.images:
            if word.exact:
                assert text[word.inner.start:word.inner.end] == word.value


def test_platform_and_context() -> None:
    (command,) = shell.docker_commands("docker buildx build --platform=linux/arm64 -f D --build-arg A=1 -t a --push ctx")
    assert command.platform == "linux/arm64"
    assert command.context is not None and command.context.value == "ctx"
    assert command.pushes
    assert [o.name for o in command.options] == ["--platform", "-f", "--build-arg", "-t", "--push"]


def test_quoted_span_is_inside_the_quotes() -> None:
    text = 'docker pull "arm64v8/node:20"'
    (command,) = shell.docker_commands(text)
    (word,) = command.images
    assert (word.inner.start, word.inner.end) == (13, 28)


SESSION = """$ docker pull arm64v8/node:20
20: Pulling from arm64v8/node
$ docker run --rm \\
    arm64v8/node:20 node -v
v20.11.0
"""


def test_console_session_reads_prompt_lines_only() -> None:
    scan = shell.scan(SESSION, Context(Path("README.md")))
    assert [(r.text, SESSION[r.span.start:r.span.end]) for r in scan.refs] == [("arm64v8/node:20", "arm64v8/node:20")] * 2
    assert [SESSION.count("\n", 0, r.span.start) for r in scan.refs] == [0, 3]


def test_makefile_reads_recipes_only() -> None:
    text = "IMAGE := docker run a-arm\nall:\n\t@docker run b-arm:$(V)\n"
    scan = shell.scan(text, Context(Path("Makefile")))
    assert [r.text for r in scan.refs] == ["b-arm:$(V)"]


def test_per_arch_build_is_reported_and_covered() -> None:
    text = "docker build --platform linux/arm64 -t acme/app-arm:1 .\ndocker pull acme/app-arm:1\n"
    scan = shell.scan(text, Context(Path("build.sh")))
    (problem,) = scan.problems
    assert problem.code == "OT301" and not problem.edits
    assert "docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1 --push ." in problem.message
    assert problem.covers == (shell.docker_commands(text)[0].span,)


SHELLISH = st.text(alphabet=st.sampled_from(list("docker run push build -t --platform=arm64v8/node:1 $(){}\"'\\\n\t;&|<>#`=")), max_size=200)


@settings(max_examples=300, deadline=None)
@given(SHELLISH)
def test_random_text_never_raises(text: str) -> None:
    for name in ("x.sh", "Makefile", "README.md"):
        scan = shell.scan(text, Context(Path(name)))
        for ref in scan.refs:
            assert 0 <= ref.span.start <= ref.span.end <= len(text)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["docker run node:20", "echo charm", "gpg --dearmor", "make farm", "# harmony", "x=arm-none-eabi"]), max_size=6))
def test_files_without_findings_stay_identical(tmp_path_factory, lines: list[str]) -> None:
    folder = tmp_path_factory.mktemp("sh")
    source = folder / "given.sh"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "out"
    out.mkdir()
    check_pair(source, out, "script.sh")  # no .out twin: must stay byte-identical
