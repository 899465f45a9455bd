#!/usr/bin/env python3
"""Writes a man page (roff) for a command from its `--experimental-dump-help` JSON (swift-argument-parser's
ToolInfo), so the pages say exactly what the binary accepts.

    manpage.py <binary> <section> <date> <output.N>
"""
import json
import subprocess
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def names(arg):
    out = []
    for n in arg.get("names", []):
        out.append(("-" if n["kind"] == "short" else "--") + n["name"])
    return out


def synopsis(arg):
    if arg["kind"] == "positional":
        text = "<" + arg.get("valueName", "value") + ">"
    else:
        flag = names(arg)[-1] if arg.get("names") else ""
        text = flag if arg["kind"] == "flag" else f"{flag} <{arg.get('valueName', 'value')}>"
    if arg.get("isRepeating"):
        text += " ..."
    return f"[{text}]" if arg.get("isOptional") else text


def options(cmd, out):
    args = [a for a in cmd.get("arguments", []) if a.get("shouldDisplay", True)]
    if not args:
        return
    for a in args:
        label = ", ".join(names(a)) if a["kind"] != "positional" else "<" + a.get("valueName", "value") + ">"
        if a["kind"] == "option":
            label += " <" + a.get("valueName", "value") + ">"
        out.append(".TP")
        out.append("\\fB" + roff(label) + "\\fR")
        body = a.get("abstract", "")
        if a.get("discussion"):
            body += "\n" + a["discussion"]
        if "defaultValue" in a:
            body += f" (default: {a['defaultValue']})"
        if a.get("allValues"):
            body += " (one of: " + ", ".join(a["allValues"]) + ")"
        out.append(roff(body))


def command(cmd, path, out, top):
    subs = [s for s in cmd.get("subcommands", []) if s.get("shouldDisplay", True) and s["commandName"] != "help"]
    if not top:
        out.append(".SS " + roff(" ".join(path)))
        out.append(".B " + roff(" ".join(path)))
        out.append(roff(" ".join(synopsis(a) for a in cmd.get("arguments", []) if a.get("shouldDisplay", True))))
        out.append(".PP")
        if cmd.get("abstract"):
            out.append(roff(cmd["abstract"]))
        if cmd.get("discussion"):
            out.append(".PP")
            out.append(roff(cmd["discussion"]))
        options(cmd, out)
    for s in subs:
        command(s, path + [s["commandName"]], out, False)


def main():
    binary, section, date, output = sys.argv[1:5]
    info = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    cmd = info["command"]
    name = cmd["commandName"]
    out = [
        f'.TH {name.upper()} {section} "{date}" "Levee" "Levee manual"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(cmd.get('abstract', ''))}",
        ".SH SYNOPSIS",
        f".B {roff(name)}",
        "<subcommand> [options]" if cmd.get("subcommands") else "[options]",
    ]
    if cmd.get("discussion"):
        out += [".SH DESCRIPTION", roff(cmd["discussion"])]
    if cmd.get("arguments"):
        out.append(".SH OPTIONS")
        options(cmd, out)
    if cmd.get("subcommands"):
        out.append(".SH COMMANDS")
        command(cmd, [name], out, True)
    out += [
        ".SH FILES",
        ".TP",
        "/etc/levee/levee.toml",
        "the configuration (see \\fBlevee.toml\\fR(5))",
        ".TP",
        "/var/lib/levee",
        "the historian database, the shutoff latch and the alarm states",
        ".TP",
        "/run/levee/leveed.sock",
        "the control socket \\fBleveectl\\fR talks to",
        ".SH SEE ALSO",
        "\\fBleveed\\fR(8), \\fBleveectl\\fR(1), \\fBlevee.toml\\fR(5), /usr/share/doc/levee/README.md.gz",
    ]
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
