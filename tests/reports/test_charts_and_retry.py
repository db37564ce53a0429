"""Charts as inline CID images in the mail and as files in the outbox; retry of failed sends."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from itertools import pairwise
from pathlib import Path

import pytest

from earshot.reports.charts import paired_bars_figure
from earshot.reports.delivery import (
    SmtpSettings,
    build_message,
    pending_weeks,
    retry_failed,
    send_digest,
    write_outbox,
)
from earshot.reports.digest import Digest, build_digest
from earshot.reports.errors import DeliveryError
from earshot.reports.render import render_charts, render_html, render_text
from tests.reports.history import NOW, WEEK, History
from tests.reports.support import SmtpServer, free_port

RECIPIENTS = ["lead@example.org"]


def digest_of(h: History, week: str = WEEK) -> Digest:
    return build_digest(
        h.con,
        week=week,
        organisation="Stadtwerke",
        timezone="Europe/Berlin",
        language="de",
        now=NOW,
    )


def settings(port: int) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, "none", None, None, "earshot@example.org", 5)


def test_charts_are_inline_cid_images_in_the_mail(history: History) -> None:
    d = digest_of(history)
    charts = render_charts(d)
    assert [c.name for c in charts] == ["moved.png", "gap.png", "buckets.png"]
    assert all(c.png.startswith(b"\x89PNG") and c.width <= 600 for c in charts)
    html = render_html(d, charts, cid=True)
    msg = build_message(
        d, html, render_text(d), sender="e@example.org", recipients=RECIPIENTS, charts=charts
    )
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    images = {
        str(p["Content-ID"]).strip("<>"): p
        for p in parsed.walk()
        if p.get_content_type() == "image/png"
    }
    srcs = re.findall(r'<img src="cid:([^"]+)"', html)
    assert sorted(srcs) == sorted(images) and len(srcs) == 3
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    assert related.get_payload()[0].get_content_type() == "text/html"  # type: ignore[index]
    assert parsed.get_body(("plain",)) is not None


def test_outbox_holds_the_pngs_the_file_version_links(history: History, tmp_path: Path) -> None:
    d = digest_of(history)
    charts = render_charts(d)
    html = render_html(d, charts)
    folder = write_outbox(
        tmp_path, d, html, render_text(d), charts=charts, mail_html=render_html(d, charts, cid=True)
    )
    for src in re.findall(r'<img src="([^"]+)"', html):
        assert (folder / src).read_bytes().startswith(b"\x89PNG")
    preview = email.message_from_bytes(
        (folder / "digest.eml").read_bytes(), policy=email.policy.default
    )
    assert sum(p.get_content_type() == "image/png" for p in preview.walk()) == 3


def test_a_failed_send_is_retried_by_the_next_run(
    history: History, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    d = digest_of(history, "2026-W46")
    folder = write_outbox(tmp_path, d, render_html(d), render_text(d))
    msg = build_message(
        d, render_html(d), render_text(d), sender="e@example.org", recipients=RECIPIENTS
    )
    down = settings(free_port())  # nothing listens there
    try:
        send_digest(folder, msg, down, RECIPIENTS)
    except DeliveryError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the send should have failed")
    assert pending_weeks(tmp_path) == ["2026-W46"]
    assert retry_failed(tmp_path, down, RECIPIENTS)["2026-W46"].startswith("cannot deliver")
    # a rerun of the outbox writer must keep the message that is waiting to be sent
    write_outbox(tmp_path, d, render_html(d), render_text(d))
    kept = email.message_from_bytes(
        (folder / "digest.eml").read_bytes(), policy=email.policy.default
    )
    assert str(kept["Message-ID"]).strip() == str(msg["Message-ID"]).strip()

    assert retry_failed(tmp_path, settings(smtp_server.port), RECIPIENTS) == {"2026-W46": "sent"}
    assert (folder / "sent.json").exists() and not (folder / "failed.json").exists()
    assert len(smtp_server.recorder.messages) == 1
    assert smtp_server.recorder.messages[0].rcpt_tos == RECIPIENTS
    assert retry_failed(tmp_path, settings(smtp_server.port), RECIPIENTS) == {}  # never twice
    assert pending_weeks(tmp_path) == []


@pytest.mark.parametrize(("language", "sign"), [("de", "\N{NO-BREAK SPACE}%"), ("en", "%")])
def test_percent_ticks_are_round_steps_in_the_languages_format(language: str, sign: str) -> None:
    label = "Kundenservice und Beschwerdemanagement im Netzgebiet"  # 51 characters
    fig = paired_bars_figure(
        [label, "Preise"],
        [0.17, 0.05],
        [0.12, 0.08],
        legend=("a", "b"),
        percent=True,
        language=language,
    )
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    steps = {round(b - a, 9) for a, b in pairwise(ticks)}
    assert len(steps) == 1 and steps.pop() in (1, 2, 5, 10, 20, 25, 50)
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert shown and all(text.endswith(sign) for text in shown), shown
    assert all(text[: -len(sign)].isdigit() for text in shown), shown
    # the long label wraps at word boundaries: every word is there, none cut
    first = ax.get_yticklabels()[0].get_text()
    assert "\n" in first and first.replace("\n", " ") == label and "…" not in first
