"""GitHub Actions workflows that publish the multi-platform image.

Written as text from templates (a YAML dumper would reorder keys and lose the layout people
review); ``insert_steps`` splices the steps after an existing job's last step and leaves every
other byte of that file as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from onetag.errors import UsageError

ACTIONS = {
    "checkout": "actions/checkout@v6",
    "login": "docker/login-action@v4",
    "qemu": "docker/setup-qemu-action@v4",
    "buildx": "docker/setup-buildx-action@v4",
    "metadata": "docker/metadata-action@v6",
    "build_push": "docker/build-push-action@v7",
    "upload": "actions/upload-artifact@v7",
    "download": "actions/download-artifact@v8",
}
NATIVE_RUNNERS = {"linux/amd64": "ubuntu-24.04", "linux/arm64": "ubuntu-24.04-arm"}


@dataclass(frozen=True)
class Spec:
    image: str
    platforms: tuple[str, ...]
    triggers: str = "both"  # "release" | "tags" | "both"
    context: str = "."
    dockerfile: str | None = None


def _on(triggers: str) -> str:
    parts = ["on:\n"]
    if triggers in ("release", "both"):
        parts.append("  release:\n    types: [published]\n")
    if triggers in ("tags", "both"):
        parts.append('  push:\n    tags: ["v*"]\n')
    return "".join(parts)


def _metadata(spec: Spec, *, for_tags: bool = True) -> str:
    text = (
        "- name: Docker metadata\n"
        "  id: meta\n"
        f"  uses: {ACTIONS['metadata']}\n"
        "  with:\n"
        f"    images: {spec.image}\n"
    )
    if for_tags:
        text += (
            "    tags: |\n"
            "      type=semver,pattern={{version}}\n"
            "      type=semver,pattern={{major}}.{{minor}}\n"
        )
    return text


def _login(condition: str | None = None) -> str:
    when = f"  if: {condition}\n" if condition else ""
    return (
        "- name: Log in to Docker Hub\n"
        f"{when}"
        f"  uses: {ACTIONS['login']}\n"
        "  with:\n"
        "    username: ${{ secrets.DOCKER_HUB_USERNAME }}\n"
        "    password: ${{ secrets.DOCKER_HUB_ACCESS_TOKEN }}\n"
    )


def _file_line(spec: Spec) -> str:
    return f"    file: {spec.dockerfile}\n" if spec.dockerfile else ""


def publish_steps(spec: Spec, *, checkout: bool = True, push: str = "true", login_if: str | None = None) -> str:
    """The emulated multi-platform steps, as a YAML sequence at indentation 0."""
    text = f"- name: Checkout\n  uses: {ACTIONS['checkout']}\n" if checkout else ""
    text += _login(login_if)
    text += f"- name: Set up QEMU\n  uses: {ACTIONS['qemu']}\n"
    text += f"- name: Set up Docker Buildx\n  uses: {ACTIONS['buildx']}\n"
    text += _metadata(spec)
    text += (
        "- name: Build and push\n"
        f"  uses: {ACTIONS['build_push']}\n"
        "  with:\n"
        f"    context: {spec.context}\n"
        f"{_file_line(spec)}"
        f"    platforms: {','.join(spec.platforms)}\n"
        f"    push: {push}\n"
        "    tags: ${{ steps.meta.outputs.tags }}\n"
        "    labels: ${{ steps.meta.outputs.labels }}\n"
        "    cache-from: type=gha\n"
        "    cache-to: type=gha,mode=max\n"
    )
    return text


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


_HEADER = "# Written by `onetag ci github`: publishes one multi-platform image tag per release.\n"


def render(spec: Spec) -> str:
    """One job: QEMU + buildx build every platform on one runner and push one index."""
    return (
        f"{_HEADER}name: Publish Docker image\n\n{_on(spec.triggers)}\n"
        "permissions:\n  contents: read\n\n"
        "jobs:\n  docker:\n    runs-on: ubuntu-latest\n    steps:\n"
        + _indent(publish_steps(spec), 6)
    )


def render_native(spec: Spec) -> str:
    """A matrix of native runners pushing by digest, then one job that merges the digests."""
    missing = [p for p in spec.platforms if p not in NATIVE_RUNNERS]
    if missing:
        raise UsageError(f"--native has no GitHub-hosted runner for {', '.join(missing)}: "
                         f"use {' and '.join(NATIVE_RUNNERS)}, or drop --native")
    matrix = "".join(f"          - platform: {p}\n            runner: {NATIVE_RUNNERS[p]}\n" for p in spec.platforms)
    build_steps = (
        "- name: Prepare\n"
        "  env:\n"
        "    PLATFORM: ${{ matrix.platform }}\n"
        '  run: echo "PLATFORM_PAIR=${PLATFORM//\\//-}" >> "$GITHUB_ENV"\n'
        f"- name: Checkout\n  uses: {ACTIONS['checkout']}\n"
        + _metadata(spec, for_tags=False)
        + _login()
        + f"- name: Set up Docker Buildx\n  uses: {ACTIONS['buildx']}\n"
        "- name: Build and push by digest\n"
        "  id: build\n"
        f"  uses: {ACTIONS['build_push']}\n"
        "  with:\n"
        f"    context: {spec.context}\n"
        f"{_file_line(spec)}"
        "    platforms: ${{ matrix.platform }}\n"
        "    labels: ${{ steps.meta.outputs.labels }}\n"
        f"    tags: {spec.image}\n"
        "    outputs: type=image,push-by-digest=true,name-canonical=true,push=true\n"
        "    cache-from: type=gha,scope=${{ env.PLATFORM_PAIR }}\n"
        "    cache-to: type=gha,scope=${{ env.PLATFORM_PAIR }},mode=max\n"
        "- name: Export digest\n"
        "  env:\n"
        "    DIGEST: ${{ steps.build.outputs.digest }}\n"
        "    DIGESTS: ${{ runner.temp }}/digests\n"
        '  run: |\n    mkdir -p "$DIGESTS"\n    touch "$DIGESTS/${DIGEST#sha256:}"\n'
        "- name: Upload digest\n"
        f"  uses: {ACTIONS['upload']}\n"
        "  with:\n"
        "    name: digests-${{ env.PLATFORM_PAIR }}\n"
        "    path: ${{ runner.temp }}/digests/*\n"
        "    if-no-files-found: error\n"
        "    retention-days: 1\n"
    )
    merge_steps = (
        "- name: Download digests\n"
        f"  uses: {ACTIONS['download']}\n"
        "  with:\n"
        "    path: ${{ runner.temp }}/digests\n"
        "    pattern: digests-*\n"
        "    merge-multiple: true\n"
        + _login()
        + f"- name: Set up Docker Buildx\n  uses: {ACTIONS['buildx']}\n"
        + _metadata(spec)
        + "- name: Create the index and push it\n"
        "  working-directory: ${{ runner.temp }}/digests\n"
        "  env:\n"
        f"    IMAGE: {spec.image}\n"
        "  run: |\n"
        "    refs=()\n"
        '    for digest in *; do refs+=("$IMAGE@sha256:$digest"); done\n'
        "    mapfile -t tags < <(jq -r '.tags[] | \"-t\", .' <<< \"$DOCKER_METADATA_OUTPUT_JSON\")\n"
        '    docker buildx imagetools create "${tags[@]}" "${refs[@]}"\n'
        "- name: Inspect the index\n"
        "  env:\n"
        f"    IMAGE: {spec.image}\n"
        "    VERSION: ${{ steps.meta.outputs.version }}\n"
        '  run: docker buildx imagetools inspect "$IMAGE:$VERSION"\n'
    )
    return (
        f"{_HEADER}name: Publish Docker image\n\n{_on(spec.triggers)}\n"
        "permissions:\n  contents: read\n\n"
        "jobs:\n"
        "  build:\n"
        "    strategy:\n      fail-fast: false\n      matrix:\n        include:\n"
        f"{matrix}"
        "    runs-on: ${{ matrix.runner }}\n"
        "    steps:\n"
        + _indent(build_steps, 6)
        + "\n  merge:\n    runs-on: ubuntu-latest\n    needs: build\n    steps:\n"
        + _indent(merge_steps, 6)
    )


def insert_steps(text: str, spec: Spec, job: str | None, path: str) -> str:
    """``text`` with the publish steps appended to ``job``'s steps; unchanged if they are there."""
    if "docker/build-push-action@" in text:
        return text
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as err:
        raise UsageError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    jobs = _mapping_value(root, "jobs")
    if not isinstance(jobs, yaml.MappingNode) or not jobs.value:
        raise UsageError(f"{path}: no jobs to add the steps to")
    names = [key.value for key, _ in jobs.value]
    name = job or (names[0] if len(names) == 1 else None)
    if name is None:
        raise UsageError(f"{path}: it has jobs {', '.join(names)}: pick one with --job")
    job_node = _mapping_value(jobs, name)
    steps = _mapping_value(job_node, "steps") if job_node is not None else None
    if not isinstance(steps, yaml.SequenceNode) or not steps.value or steps.flow_style:
        raise UsageError(f"{path}: job {name!r} has no block list of steps to add to")
    has_checkout = "actions/checkout@" in text[steps.start_mark.index: steps.end_mark.index]
    new = publish_steps(spec, checkout=not has_checkout, push="${{ github.event_name != 'pull_request' }}",
                        login_if="github.event_name != 'pull_request'")
    column = _item_column(text, steps.value[0])
    insert_at = _end_of_line(text, steps.value[-1].end_mark.index, column)
    prefix = "" if insert_at == 0 or text[insert_at - 1] == "\n" else "\n"
    newline = "\r\n" if "\r\n" in text else "\n"
    block = (prefix + _indent(new, column)).replace("\n", newline)
    return text[:insert_at] + block + text[insert_at:]


def _mapping_value(node, key: str):
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _item_column(text: str, first_item) -> int:
    """The column of the ``-`` that introduces the first step."""
    dash = text.rfind("-", 0, first_item.start_mark.index)
    return dash - (text.rfind("\n", 0, dash) + 1)


def _end_of_line(text: str, index: int, column: int) -> int:
    """Where the line after the last step's last line starts.

    The step's end mark can sit after blank lines and after comments that belong to what
    follows; a comment no deeper than the step's ``-`` is not part of the step.
    """
    lines = text[:index].splitlines(keepends=True)
    while lines:
        stripped = lines[-1].strip()
        indent = len(lines[-1]) - len(lines[-1].lstrip(" "))
        if stripped and not (stripped.startswith("#") and indent <= column):
            break
        lines.pop()
    return sum(len(line) for line in lines)
