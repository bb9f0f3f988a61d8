"""Shared pieces of the HTTP tests: small articles written for these tests, and a running server.

The articles are original text. One puts emoji (outside the Basic Multilingual Plane, two
UTF-16 units each in a browser) before the sentences a question cites, so that offset handling
in the page is tested; one carries markup that must stay text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fakes import HashEmbedder

from index.serial import SerialEmbedder
from qa.assistant import Assistant
from qa.http import BackgroundServer, create_app
from qa.settings import Settings

ARTICLES: list[dict[str, Any]] = [
    {
        "id": "desal-jubail",
        "title": "محطة جديدة لتحلية المياه في الجبيل",
        "text": (
            "افتتحت وزارة البيئة والمياه والزراعة محطة جديدة لتحلية المياه في مدينة الجبيل. "
            "تبلغ الطاقة الإنتاجية للمحطة ستمائة ألف متر مكعب يوميا. "
            "وقال وزير البيئة إن المحطة ستخدم أكثر من مليوني نسمة في المنطقة الشرقية. "
            "ويعمل في المشروع ألف وخمسمائة مهندس وفني."
        ),
        "date": "2025-03-10",
        "source": "spa",
    },
    {
        "id": "rail-riyadh",
        "title": "التشغيل التجريبي لقطار الرياض",
        "text": (
            "بدأ التشغيل التجريبي لقطار الرياض على المسار الأزرق. "
            "ويبلغ طول المسار الأزرق ثمانية وثلاثين كيلومترا. "
            "وأكدت الهيئة الملكية أن القطار سينقل مئات الآلاف من الركاب يوميا."
        ),
        "date": "2025-04-02",
        "source": "okaz",
    },
    {
        "id": "dates-festival",
        "title": "مهرجان التمور في بريدة 🌴",
        "text": (
            "🌴 انطلق مهرجان التمور في مدينة بريدة بمشاركة ألفي مزارع. "
            "📈 وبلغت مبيعات مهرجان التمور في أسبوعه الأول مئة مليون ريال. "
            "ويستمر المهرجان حتى نهاية الشهر."
        ),
        "date": "2025-08-15",
        "source": "sabq",
    },
    {
        "id": "reef-survey",
        "title": "Red Sea reef survey",
        "text": (
            "Scientists surveyed the coral reefs of the Red Sea near Jeddah in May. "
            "The survey found that seventy percent of the Red Sea reefs were healthy. "
            "Divers painted <b>bold</b> <script>alert(1)</script> on a buoy as a joke. "
            "The team will publish its full report next year."
        ),
        "date": "2025-05-20",
        "source": "reuters",
    },
]

DESAL_Q = "كم تبلغ الطاقة الإنتاجية لمحطة تحلية المياه في الجبيل؟"
DATES_Q = "كم بلغت مبيعات مهرجان التمور في أسبوعه الأول؟"
REEF_Q = "How many of the Red Sea reefs were healthy?"
UNRELATED_Q = "ما هي عاصمة الأرجنتين؟"


def make_assistant(home: Path, **settings: Any) -> Assistant:
    """An Assistant on a temporary home with the fast hashing embedder (extractive answers).

    The embedder is shared the way ``sanad serve`` shares its real one (``SerialEmbedder``).
    """
    return Assistant(Settings(home=home, **settings), embedder=SerialEmbedder(HashEmbedder))


@contextmanager
def running(assistant: Assistant, settings: Settings | None = None) -> Iterator[BackgroundServer]:
    """A real uvicorn server on 127.0.0.1 (a free port) around ``assistant``."""
    with BackgroundServer(create_app(assistant, settings)) as server:
        yield server


def ingest(base_url: str, articles: list[dict[str, Any]], headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/v1/articles", json={"articles": articles}, headers=headers, timeout=60)
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return report
