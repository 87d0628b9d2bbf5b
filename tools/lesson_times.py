"""Write measured lesson run times into the README's lesson table and each lesson's **Time:** line.

``python tools/lesson_times.py 00=17 01=6 ...`` (seconds, whole notebook at full settings on the offline model, as
``tools/run_lessons.py`` prints them) rewrites the README's "offline model" column for those lessons, and from it
the **Time:** line of each lesson and the instructors' agendas, so they never disagree (tests check that).
The InceptionV3 column is read from the README and repeated in the lesson where it is a number.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (\d\d) \|")
TIME = re.compile(r"\*\*Time:\*\* about (\d+) minutes of reading[^\n]*(?:\n(?!\n)[^\n]*)*?GPU: not measured yet\)\.?")


def table() -> dict[str, tuple[str, str]]:
    """``{"04": ("10 s", "21 s"), ...}``: each lesson's offline-model and InceptionV3 cells."""
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if ROW.match(line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[cells[0]] = (cells[-3], cells[-2])
    return rows


def on_what(imagenet: str) -> str:
    """What the offline time was measured with: the offline model, or nothing (a lesson that uses no network)."""
    return "without any network" if imagenet == "same (no network)" else "with the offline model"


def time_line(reading: str, offline: str, imagenet: str) -> str:
    on_imagenet = (
        f", {imagenet} on InceptionV3 (plus a one-time 100 MB weight download)"
        if re.fullmatch(r"\d+ s", imagenet)
        else ""
    )
    return (
        f"**Time:** about {reading} minutes of reading; running it takes about {offline} on a 2-core CPU "
        f"{on_what(imagenet)}{on_imagenet} (GPU: not measured yet)."
    )


def main(argv: list[str]) -> int:
    measured = dict(arg.split("=") for arg in argv)
    readme = ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = ROW.match(line)
        if match and match.group(1) in measured:
            cells = line.rstrip("\n").split("|")
            cells[-4] = f" {measured[match.group(1)]} s "
            lines[i] = "|".join(cells) + "\n"
    readme.write_text("".join(lines), encoding="utf-8")
    rows = table()
    agendas = ROOT / "docs" / "instructors.md"  # its agendas quote each lesson's offline time too
    agenda_row = re.compile(r"^(\| [\d:-]+ \| \[(\d\d) · [^|]*\| [^|]* \| )([^|]*)( \|)$", re.M)
    text = agendas.read_text(encoding="utf-8")
    agendas.write_text(agenda_row.sub(lambda m: m.group(1) + rows[m.group(2)][0] + m.group(4), text), encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = "".join(nb["cells"][0]["source"])
        match = TIME.search(first)
        if match is None:
            print(f"error: {path.name} has no **Time:** line ending '(GPU: not measured yet).'", file=sys.stderr)
            return 2
        first = first[: match.start()] + time_line(match.group(1), *rows[path.stem[:2]]) + first[match.end() :]
        nb["cells"][0]["source"] = first.splitlines(keepends=True)
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
