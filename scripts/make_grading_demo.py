#!/usr/bin/env python3
"""Ten submissions for a `course grade` rehearsal, written as a student would write them.

Usage: scripts/make_grading_demo.py EDITION KIT OUT
  EDITION: a student edition (`swift run course student-edition EDITION`)
  KIT:     the kit with its solutions (this repository)
  OUT:     a folder that receives s01-solved ... s10-edited-kit-file

A solved exercise is the student's edition file with the `Exercise.unfinished(...)` call
replaced by the kit's solution lines, as a student fills in the stub.
"""
import os, re, shutil, sys

edition, kit, out = sys.argv[1:4]
begin = re.compile(r'^\s*// BEGIN EXERCISE (\d+\.\d+) ')

def solutions():
    """id -> (file, solution lines without markers and hints)."""
    found = {}
    for folder in ("Sources", "Lessons"):
        for dirpath, _, files in os.walk(os.path.join(kit, folder)):
            for f in files:
                if not f.endswith(".swift"):
                    continue
                path = os.path.join(dirpath, f)
                lines = open(path).read().split("\n")
                i = 0
                while i < len(lines):
                    m = begin.match(lines[i])
                    if m:
                        eid, body = m.group(1), []
                        i += 1
                        while "// END EXERCISE " + eid not in lines[i]:
                            if not lines[i].strip().startswith("// hint"):
                                body.append(lines[i])
                            i += 1
                        found[eid] = (os.path.relpath(path, kit), body)
                    i += 1
    return found

SOLUTIONS = solutions()

def make(name, solved, edits=()):
    """A copy of the edition with `solved` exercises written; `edits`: (exercise id, lines) to
    write instead of its solution, or (relative file, callable) to change a file."""
    dest = os.path.join(out, name)
    shutil.copytree(edition, dest, ignore=shutil.ignore_patterns(".build"))
    written = {eid: SOLUTIONS[eid][1] for eid in solved}
    for target, change in edits:
        if target in SOLUTIONS:
            written[target] = change
    for eid, body in written.items():
        path = os.path.join(dest, SOLUTIONS[eid][0])
        text = open(path).read().split("\n")
        call = next(i for i, l in enumerate(text) if 'Exercise.unfinished("%s"' % eid in l)
        text[call:call + 1] = body
        open(path, "w").write("\n".join(text))
    for target, change in edits:
        if target not in SOLUTIONS:
            path = os.path.join(dest, target)
            open(path, "w").write(change(open(path).read()))

ids = sorted(SOLUTIONS, key=lambda s: tuple(map(int, s.split("."))))
lesson = lambda *ns: [e for e in ids if int(e.split(".")[0]) in ns]
def broken(eid):
    """The solution with a type error in its first line."""
    body = SOLUTIONS[eid][1]
    indent = re.match(r"\s*", body[0]).group(0)
    return [indent + 'let brokenByTheStudent: Int = "not a number"'] + body

os.makedirs(out, exist_ok=True)
make("s01-solved", ids)
make("s02-untouched", [])
make("s03-lessons-1-2", lesson(1, 2))
make("s04-lessons-3-5", lesson(3, 4, 5))
make("s05-one-does-not-compile", ids, [("3.2", broken("3.2"))])
make("s06-two-do-not-compile", ids, [("1.2", broken("1.2")), ("4.4", broken("4.4"))])
make("s07-loops", ids, [("1.3", ["while true {}"] + SOLUTIONS["1.3"][1])])
make("s08-crashes", ids, [("2.2", ['fatalError("the student\'s bug")'] + SOLUTIONS["2.2"][1])])
make("s09-edited-tests", ids, [("Tests/Lesson1Tests/SGDTests.swift", lambda s: s + "\n// edited\n")])
make("s10-edited-kit-file", ids, [("Sources/TensorCore/Tensor.swift", lambda s: s + "\nlet broken: Int = \"x\"\n")])
print("wrote 10 submissions to", out)
