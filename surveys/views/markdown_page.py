"""A small Markdown reader for the project's own docs shown as pages (the partners' formats page).

It reads what docs/coverage-formats*.md use and nothing more: `#` headings, paragraphs, `-` lists,
pipe tables, `code`, **bold** and [links](url). Every piece of text is escaped; links keep only
relative, same-site or https targets. No dependency for one page.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")


def _link(target: str) -> str | None:
    if target.startswith(("https://", "/", "#")):
        return target
    if target.startswith("../static/"):
        return target[2:]
    return None


def inline(text: str) -> str:
    out, last = [], 0
    for found in _INLINE.finditer(text):
        out.append(str(escape(text[last:found.start()])))
        code, bold, label, target = found.groups()
        if code is not None:
            out.append(f"<code>{escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{inline(bold)}</strong>")
        else:
            href = _link(target)
            out.append(f'<a href="{escape(href)}">{inline(label)}</a>' if href else inline(label))
        last = found.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def render(source: str) -> Markup:
    """The Markdown text as HTML; its `#` title is the page's h1."""
    html: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 6)
            html.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
            i += 1
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= set("-: ") for c in r)]
            html.append('<div class="table-wrap"><table class="doc-table"><thead><tr>'
                        + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>"
                                  for r in body) + "</tbody></table></div>")
        elif line.startswith("- "):
            items: list[str] = []
            while i < len(lines) and (lines[i].startswith("- ") or lines[i].startswith("  ")):
                if lines[i].startswith("- "):
                    items.append(lines[i][2:].strip())
                else:
                    items[-1] += " " + lines[i].strip()
                i += 1
            html.append("<ul>" + "".join(f"<li>{inline(t)}</li>" for t in items) + "</ul>")
        else:
            text = []
            while i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "|", "- ")):
                text.append(lines[i].strip())
                i += 1
            html.append(f"<p>{inline(' '.join(text))}</p>")
    return Markup("\n".join(html))
