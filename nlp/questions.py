"""Question detection: does the post ask something? ("?" sentences, question openers)."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from earshot.nlp.normalise import TokenView, fold, token_view

VERSION = "1"

# Openers of a question sentence; multi-word openers must match as a whole.
OPENERS: dict[str, tuple[str, ...]] = {
    "en": (
        "how",
        "what",
        "why",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "can",
        "could",
        "does",
        "do",
        "did",
        "is",
        "are",
        "should",
        "would",
        "will",
        "anyone know",
        "does anyone",
        "has anyone",
        "any idea",
        "any ideas",
    ),
    "de": (
        "wie",
        "was",
        "warum",
        "wieso",
        "weshalb",
        "weswegen",
        "wann",
        "wo",
        "woher",
        "wohin",
        "welche",
        "welcher",
        "welches",
        "welchen",
        "wer",
        "wen",
        "wem",
        "kann",
        "können",
        "koennt",
        "könnt",
        "gibt es",
        "gibts",
        "hat jemand",
        "weiß jemand",
        "kennt jemand",
        "habt ihr",
        "hast du",
        "haben sie",
        "ist das",
        "ist es",
        "sind",
        "darf",
        "soll",
        "sollte",
        "muss",
        "würde",
    ),
}
# Openers that usually start exclamations, not questions ("What a day", "Was für ein Tag").
NOT_QUESTIONS: dict[str, tuple[str, ...]] = {
    "en": ("what a", "what an", "how nice", "how cool", "how great", "how lovely"),
    "de": ("was für ein", "was für eine", "wie schön", "wie toll", "wie geil", "wie cool"),
}


def _split(openers: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    split = {tuple(fold(w) for w in o.split()) for o in openers}
    return tuple(sorted(split, key=len, reverse=True))


class QuestionDetector:
    """Sets `doc._.earshot_is_question`."""

    def __init__(self, *, openers: list[str], not_questions: list[str]) -> None:
        self.openers = _split(tuple(openers))
        self.not_questions = _split(tuple(not_questions))
        self._first_words = frozenset(o[0] for o in (*self.openers, *self.not_questions) if o)
        if not Doc.has_extension("earshot_is_question"):
            Doc.set_extension("earshot_is_question", default=None)

    def __call__(self, doc: Doc) -> Doc:
        doc._.earshot_is_question = self.asks(token_view(doc))
        return doc

    def is_question(self, doc: Doc) -> bool:
        return self.asks(token_view(doc))

    def asks(self, view: TokenView) -> bool:
        """Whether a doc's `TokenView` asks something: what the component and fast path use."""
        asking = "?" in view.text
        if not asking and not self.openers:
            return False
        n = len(view.infos)
        if not n:
            return False
        if asking:
            if any(info.is_punct and "?" in info.text for info in view.infos):
                return True  # the sentence with that "?" asks, whatever its first words
        elif self._first_words.isdisjoint([info.folded for info in view.infos]):
            return False  # without a "?", only a sentence opening with one of them can ask
        if view.has_sentences:
            starts = [i for i, start in enumerate(view.sent_start) if start]
        else:
            starts = [0] if n else []
        ends = [*starts[1:], n]
        return any(
            self._sentence_asks(view, a, b, asking) for a, b in zip(starts, ends, strict=True)
        )

    def _sentence_asks(self, view: TokenView, start: int, end: int, asking: bool = True) -> bool:
        """`asking`: the text has a "?" somewhere; without one, the first words decide."""
        words: list[str] = []
        infos, hashtag = view.infos, view.hashtag
        for i in range(start, end):
            token = infos[i]
            if token.is_punct and "?" in token.text:
                return True  # a "?" inside a URL is part of the URL token, not punctuation
            if not words and (
                token.is_space or token.is_punct or token.is_mention or hashtag[i] or token.is_url
            ):
                continue  # "@bahn wann kommt der Zug"
            if len(words) < 4 and not token.is_space:
                words.append(token.folded)
                if not asking and (len(words) == 4 or words[0] not in self._first_words):
                    break  # no "?" to find: the rest of the sentence cannot change the answer
        if not words or words[0] not in self._first_words:
            return False  # no "?" and no opener: the rest cannot make it a question
        trailing = (infos[i] for i in range(end - 1, start - 1, -1) if not infos[i].is_space)
        last = next(trailing, None)
        if last is not None and last.is_punct and "!" in last.text:
            return False  # "What a day!", "Wie geil ist das!"
        lead = tuple(words)
        if any(lead[: len(n)] == n for n in self.not_questions):
            return False
        return any(lead[: len(o)] == o for o in self.openers)


@Language.factory(
    "earshot_questions_v1",
    default_config={"openers": None, "not_questions": None},
    assigns=["doc._.earshot_is_question"],
)
def make_questions(
    nlp: Language, name: str, *, openers: list[str] | None, not_questions: list[str] | None
) -> QuestionDetector:
    lang = nlp.lang or ""
    """Openers default to the list for `nlp.lang`; other languages use the "?" rule alone."""
    return QuestionDetector(
        openers=list(OPENERS.get(lang, ())) if openers is None else openers,
        not_questions=list(NOT_QUESTIONS.get(lang, ())) if not_questions is None else not_questions,
    )
