-- Named entities from a trained spaCy pipeline's NER (only for languages configured with one
-- under `nlp.pipelines`). Replaced per post together with its annotation; offsets are
-- characters of the text the pipeline saw (title and text, as enrichment reads them).
CREATE TABLE _post_entities (
    post_id          VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,   -- the model's label: ORG, PERSON, LOC, ...
    text             VARCHAR NOT NULL,
    start_char       INTEGER NOT NULL,
    end_char         INTEGER NOT NULL,
    pipeline_version VARCHAR NOT NULL,   -- `Enricher.analysis_version` that found them
    load_id          VARCHAR NOT NULL,
    PRIMARY KEY (post_id, start_char, end_char, label)
);
