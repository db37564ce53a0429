"""The config's shared field types and base model: what every section of `listening.yaml` uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
TermList = dict[LanguageCode, list[Annotated[str, Field(min_length=1)]]]


class Model(BaseModel):
    """A config section: unknown keys are errors, values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)
