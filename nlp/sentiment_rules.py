"""Sentiment rules' language data: per language the negators, boosters, contrast words,
inflection suffixes and idioms the scorer (`nlp.sentiment`) reads, and their tuning."""

from __future__ import annotations

from dataclasses import dataclass, field

from earshot.nlp.normalise import fold

BOOST = 0.293  # VADER's booster scalar (Hutto & Gilbert 2014), as the scorer's constants


def _word_set(text: str) -> frozenset[str]:
    """Folded words of a space-separated list (so "äußerst" matches "aeusserst")."""
    return frozenset(fold(w) for w in text.split())


@dataclass(frozen=True, slots=True)
class LanguageRules:
    negators: frozenset[str]
    boosters: dict[str, float]
    contrast: frozenset[str]
    contrast_clause_initial: frozenset[str]  # contrast words only when they open a clause
    suffixes: tuple[str, ...]  # tried, longest first, when a word is not in the lexicon
    final_negators: frozenset[str]  # negate the preceding word at the end of a clause (German)
    # Fixed phrases whose words mean less than they say: greetings, sign-offs ("Liebe Grüße").
    idioms: dict[tuple[str, ...], float] = field(default_factory=dict)
    # Valence a post must exceed, per extra word**0.75, to take a side: long texts (news, press
    # releases) collect stray lexicon hits without an opinion. Positive words are spent more
    # freely in neutral text (politeness, adverts), so the positive band may be wider.
    neutral_band: float = 0.0
    positive_band: float = 0.0
    # Compounding languages: an unknown long word takes the valence of its longest known tail
    # of at least this many letters ("Oberleitungsschaden" → "schaden"); 0 turns this off.
    compound_tail: int = 0


def _idioms(text: str, valence: float = 0.0) -> dict[tuple[str, ...], float]:
    """Comma-separated phrases, folded word by word, all with the same valence."""
    return {tuple(fold(w) for w in p.split()): valence for p in text.split(",") if p.strip()}


RULES: dict[str, LanguageRules] = {
    "en": LanguageRules(
        negators=_word_set(
            "not n't no never nobody nothing none nowhere neither nor without cannot cant "
            "dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt aint "
            "hasnt havent hadnt mustnt neednt rarely seldom"
        ),
        boosters={
            **dict.fromkeys(
                _word_set(
                    "very extremely really so totally absolutely completely incredibly highly "
                    "especially particularly utterly truly super most more deeply hugely "
                    "terribly awfully entirely fully quite remarkably seriously damn "
                    "fucking fuckin freaking frickin friggin effing hella uber "
                    "exceptionally extraordinarily enormously tremendously thoroughly "
                    "unbelievably insanely crazy"
                ),
                BOOST,
            ),
            **dict.fromkeys(
                _word_set(
                    "slightly somewhat barely hardly kinda sorta little less almost marginally "
                    "partly occasionally scarcely"
                ),
                -BOOST,
            ),
        },
        contrast=frozenset({"but"}),
        contrast_clause_initial=frozenset({"however", "yet"}),
        suffixes=(),
        final_negators=frozenset(),
        idioms={
            # sign-offs and hedges mean less than their words; VADER's special cases
            **_idioms("best regards, kind regards, thank you for your, dear customer"),
            **_idioms("kind of, sort of, kinda like"),
            **_idioms("bad ass, the shit, the bomb, to die for, can't wait, cant wait", 2.5),
            **_idioms("yeah right, kiss of death, under the weather, broken heart", -2.0),
        },
        neutral_band=0.0,
        positive_band=0.13,
    ),
    "de": LanguageRules(
        negators=_word_set(
            "nicht kein keine keinen keiner keinem keines nie niemals nichts ohne niemand "
            "weder nirgends nimmer net"
        ),
        boosters={
            **dict.fromkeys(
                _word_set(
                    "sehr extrem total voll mega echt ziemlich richtig wirklich besonders "
                    "absolut völlig komplett äußerst höchst unglaublich unheimlich ungemein "
                    "dermaßen derart tierisch enorm irre wahnsinnig so zu"
                ),
                BOOST,
            ),
            **dict.fromkeys(
                _word_set(
                    "etwas kaum wenig bisschen leicht eher fast relativ halbwegs einigermaßen "
                    "teilweise"
                ),
                -BOOST,
            ),
        },
        contrast=frozenset({"aber", "jedoch", "allerdings"}),
        contrast_clause_initial=frozenset({"doch", "trotzdem", "dennoch"}),
        suffixes=("ten", "est", "en", "er", "es", "em", "st", "et", "te", "e", "n", "s", "t"),
        final_negators=frozenset({"nicht", "nie", "niemals", "kaum"}),
        idioms=_idioms(
            "liebe grüße, lieben gruß, lieben dank, liebe bahn, liebe db, liebe kunden, "
            "liebe fahrgäste, lieber kunde, liebe leute, liebe freunde, liebes team, "
            "guten morgen, guten tag, guten abend, gute nacht, gute fahrt, gute reise, "
            "schönen tag, schönen abend, schönes wochenende, schönen sonntag, schönen gruß, "
            "schöne grüße, beste grüße, besten gruß, besten dank, vielen dank, danke schön, "
            "danke sehr, bitte schön, gerne geschehen, mit freundlichen grüßen, "
            "viel glück, viel erfolg, viel spaß, frohe weihnachten, gutes neues"
        ),
        neutral_band=0.1,
        positive_band=0.5,
        compound_tail=5,
    ),
}
DEFAULT_RULES = LanguageRules(
    negators=frozenset(),
    boosters={},
    contrast=frozenset(),
    contrast_clause_initial=frozenset(),
    suffixes=(),
    final_negators=frozenset(),
)
