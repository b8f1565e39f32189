-- The warehouse schema: the one place tables are declared.
-- Codes are strings (leading zeros, 2A/2B). Names keep their article ("La Madeleine").
-- article_code is INSEE's TNCC (0 none, 1 none + d', 2 Le, 3 La, 4 Les, 5 L', 6 Aux, 7 Las, 8 Los).

-- Provenance of every file the warehouse was built from.
CREATE TABLE source (
    path            VARCHAR PRIMARY KEY,   -- relative to the project root
    sha256          VARCHAR NOT NULL,
    size_bytes      BIGINT  NOT NULL,
    row_count       BIGINT,
    producer        VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    licence         VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,
    retrieved_date  DATE    NOT NULL,
    derived_from    VARCHAR                -- upstream package or file the raw file was derived from
);

-- What the build was made from and with (git commit, COG vintage, library versions).
CREATE TABLE build_info (
    key    VARCHAR PRIMARY KEY,
    value  VARCHAR NOT NULL
);

CREATE TABLE region (
    region_code     VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    article_code    TINYINT NOT NULL,
    chef_lieu_code  VARCHAR NOT NULL,
    zone            VARCHAR NOT NULL CHECK (zone IN ('metro', 'drom', 'com'))
);

CREATE TABLE departement (
    departement_code  VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    article_code      TINYINT NOT NULL,
    region_code       VARCHAR NOT NULL REFERENCES region (region_code),
    chef_lieu_code    VARCHAR NOT NULL,
    zone              VARCHAR NOT NULL CHECK (zone IN ('metro', 'drom', 'com'))
);

-- Every commune of the COG, current or not: delegated and associated communes share their
-- code with their chef-lieu sometimes, hence the key on (code, kind).
CREATE TABLE commune (
    commune_code        VARCHAR NOT NULL,
    commune_kind        VARCHAR NOT NULL CHECK (commune_kind IN
                            ('commune', 'deleguee', 'associee', 'arrondissement')),
    name                VARCHAR NOT NULL,
    article_code        TINYINT NOT NULL,
    departement_code    VARCHAR NOT NULL REFERENCES departement (departement_code),
    region_code         VARCHAR NOT NULL REFERENCES region (region_code),
    zone                VARCHAR NOT NULL CHECK (zone IN ('metro', 'drom', 'com')),
    siren               VARCHAR,           -- current communes only
    population          INTEGER,           -- current communes only (municipal population)
    chef_lieu_code      VARCHAR,           -- commune a delegated/associated commune or arrondissement belongs to
    PRIMARY KEY (commune_code, commune_kind)
);

-- Any commune code known since 1943 (current, merged, delegated, associated) to the current
-- commune that holds its territory today.
CREATE TABLE commune_code_map (
    old_code      VARCHAR NOT NULL,
    commune_code  VARCHAR NOT NULL,        -- a current commune (commune_kind = 'commune')
    method        VARCHAR NOT NULL,        -- how the link was found (current, ancien_code, chef_lieu, history)
    PRIMARY KEY (old_code, commune_code)
);

-- Versions of communes 1943-2019 (decoupage-administratif 0.8.0, historique-communes.json):
-- one row per state of a commune between two events.
CREATE TABLE commune_history (
    version_id       VARCHAR PRIMARY KEY,  -- e.g. COM-60057@1943-02-19
    commune_code     VARCHAR NOT NULL,
    version_kind     VARCHAR NOT NULL CHECK (version_kind IN ('COM', 'COMD', 'COMA', 'COMP')),
    name             VARCHAR NOT NULL,
    article_code     TINYINT NOT NULL,
    start_date       DATE,                 -- null: valid since before 1943-01-01
    end_date         DATE,                 -- null: still valid at the end of 2019
    start_reason     VARCHAR,
    end_reason       VARCHAR,
    predecessor_id   VARCHAR,
    successor_id     VARCHAR,
    pole_id          VARCHAR,              -- for a merged part: the commune it merged into
    member_ids       VARCHAR[]             -- for a merged commune: its parts
);

CREATE TABLE epci (
    epci_siren        VARCHAR PRIMARY KEY,
    name              VARCHAR NOT NULL,
    epci_kind         VARCHAR NOT NULL CHECK (epci_kind IN ('CC', 'CA', 'CU', 'ME')),
    legal_type        VARCHAR NOT NULL,    -- as published: CC, CA, CU, METRO, MET69
    financing         VARCHAR NOT NULL,    -- FPU (fiscalité professionnelle unique) or FA (additionnelle)
    population        INTEGER NOT NULL     -- population municipale
);

CREATE TABLE epci_member (
    epci_siren    VARCHAR NOT NULL REFERENCES epci (epci_siren),
    commune_code  VARCHAR NOT NULL,
    PRIMARY KEY (commune_code)             -- a commune belongs to one EPCI at most
);

-- Where an EPCI is placed on maps and in statistics: the département (and its région and zone)
-- holding the largest part of its member communes' population.
CREATE VIEW epci_place AS
WITH per_departement AS (
    SELECT m.epci_siren, c.departement_code, c.region_code, c.zone,
           sum(coalesce(c.population, 0)) AS people
    FROM epci_member m JOIN commune c USING (commune_code)
    WHERE c.commune_kind = 'commune'
    GROUP BY ALL
)
SELECT epci_siren, arg_max(departement_code, people) AS departement_code,
       arg_max(region_code, people) AS region_code, arg_max(zone, people) AS zone
FROM per_departement GROUP BY epci_siren;

COMMENT ON TABLE source IS 'Provenance of every raw file the warehouse was built from (path, sha256, licence, URL, retrieval date)';
COMMENT ON TABLE build_info IS 'What the build was made from and with: git commit, COG vintage, library versions';
COMMENT ON TABLE region IS 'Régions (COG), with overseas zone';
COMMENT ON TABLE departement IS 'Départements (COG) and their région';
COMMENT ON TABLE commune IS 'Communes (COG): current, delegated, associated, municipal arrondissements; names with article';
COMMENT ON TABLE commune_code_map IS 'Any commune code known since 1943 to the current commune holding its territory';
COMMENT ON TABLE commune_history IS 'Dated versions of communes 1943-2019 (fusions, communes nouvelles, renamings)';
COMMENT ON TABLE epci IS 'Intercommunalités à fiscalité propre (SIREN, kind CC/CA/CU/ME, population)';
COMMENT ON TABLE epci_member IS 'Member communes of each EPCI';

-- ---------------------------------------------------------------------------------------------
-- Palmarès. An edition is keyed by its label year (see README, "Edition keying").

-- Every published aggregate about an edition, one row per source row of editions.csv, as typed.
CREATE TABLE edition_aggregate (
    source_row        INTEGER PRIMARY KEY,   -- row in data/raw/palmares/editions.csv (header = 1)
    edition_label     VARCHAR NOT NULL,      -- as transcribed: "2011", or a range "2000-2005"
    first_year        SMALLINT NOT NULL,
    last_year         SMALLINT NOT NULL,
    edition_number    SMALLINT,
    ceremony_date     VARCHAR,               -- as precise as the source: 2021-02-04, 2005-11, 2019-01-29/30
    ceremony_place    VARCHAR,
    total_labelled    INTEGER,
    n_5               INTEGER,
    n_4               INTEGER,
    n_3               INTEGER,
    n_2               INTEGER,
    n_1               INTEGER,
    n_mention         INTEGER,
    n_territoires     INTEGER,
    n_villes          INTEGER,
    n_villages        INTEGER,
    n_new_candidates  INTEGER,
    n_ten             INTEGER,               -- «Territoires d'excellence numérique» awarded (since 2021)
    other_fact        VARCHAR,
    source_url        VARCHAR NOT NULL,
    quote             VARCHAR
);

-- One row per label year: the values chosen among edition_aggregate by the written rule.
CREATE TABLE edition (
    label_year        SMALLINT PRIMARY KEY,
    edition_number    SMALLINT,
    ceremony_date     VARCHAR,
    ceremony_place    VARCHAR,
    has_mention_level BOOLEAN NOT NULL,      -- the lowest level was a «mention» (stored as 0 @)
    total_labelled    INTEGER,
    n_5               INTEGER,
    n_4               INTEGER,
    n_3               INTEGER,
    n_2               INTEGER,
    n_1               INTEGER,
    n_mention         INTEGER,
    n_territoires     INTEGER,
    n_villes          INTEGER,
    n_villages        INTEGER,
    n_ten             INTEGER,               -- TEN awarded, as published (the TEN list's size)
    distinctions      VARCHAR[]              -- distinctions seen among the edition's laureates
);

-- Where sources disagree on an edition's value: every value, its sources, and the one chosen.
CREATE TABLE edition_conflict (
    label_year   SMALLINT NOT NULL,
    measure      VARCHAR  NOT NULL,          -- column of `edition`
    value        VARCHAR  NOT NULL,
    source_urls  VARCHAR[] NOT NULL,
    is_chosen    BOOLEAN  NOT NULL,
    rule         VARCHAR  NOT NULL,          -- why the chosen value won
    PRIMARY KEY (label_year, measure, value)
);

-- Palmarès files declared complete for their editions (`palmares ingest --complete`), as their
-- manifest entry records it: the file's rows of the edition are the edition's whole list.
CREATE TABLE complete_declaration (
    source_file   VARCHAR  NOT NULL,         -- relative to the project root
    edition       SMALLINT NOT NULL,
    rows_in_file  INTEGER  NOT NULL,         -- the file's rows of the edition: the declared list's count
    declared_by   VARCHAR  NOT NULL,         -- who declared it (--declared-by), as given
    declared_on   DATE     NOT NULL,         -- the day it was declared
    PRIMARY KEY (source_file, edition)
);

-- Every palmarès row that resolved to a collectivity: one sourced fact per row.
CREATE TABLE laureates (
    source_file        VARCHAR  NOT NULL,    -- relative to the project root
    source_row         INTEGER  NOT NULL,    -- row as a spreadsheet shows it (header = 1)
    edition            SMALLINT NOT NULL,
    name               VARCHAR  NOT NULL,    -- as published ("Villeneuve-D'Ascq", "Lille (59)")
    departement        VARCHAR,              -- département code of the collectivity
    arobases           TINYINT CHECK (arobases BETWEEN 0 AND 5),  -- 0 = mention; NULL = not stated
    kind               VARCHAR CHECK (kind IN ('territoire', 'ville', 'village')),
    code               VARCHAR  NOT NULL,    -- INSEE code (COG 2026) of a commune, or SIREN of an EPCI
    entity             VARCHAR  NOT NULL CHECK (entity IN ('commune', 'epci')),
    resolution_method  VARCHAR  NOT NULL,
    resolution_score   DOUBLE   NOT NULL,
    candidates         VARCHAR[],
    distinction        VARCHAR,
    published_departement VARCHAR,           -- as published, when the source gave one
    source_url         VARCHAR,
    quote              VARCHAR,
    note               VARCHAR,
    PRIMARY KEY (source_file, source_row)
);

-- Every palmarès row set aside, with the reason: ambiguous, unknown, foreign, not a collectivity.
CREATE TABLE quarantine (
    source_file   VARCHAR  NOT NULL,
    source_row    INTEGER  NOT NULL,
    edition       SMALLINT NOT NULL,
    name          VARCHAR  NOT NULL,          -- as published
    departement   VARCHAR,                    -- as published
    arobases      TINYINT,
    kind          VARCHAR,
    reason        VARCHAR  NOT NULL,
    candidates    VARCHAR[],
    distinction   VARCHAR,
    source_url    VARCHAR,
    quote         VARCHAR,
    note          VARCHAR,
    PRIMARY KEY (source_file, source_row)
);

-- Statements of continuity kept as evidence, and what the palmarès says about them.
CREATE TABLE claim (
    source_row      INTEGER PRIMARY KEY,      -- row in data/raw/palmares/claims.csv (header = 1)
    name            VARCHAR NOT NULL,
    departement     VARCHAR,
    stated_in_year  SMALLINT,
    claim_text      VARCHAR NOT NULL,
    implied_fact    VARCHAR NOT NULL,
    source_url      VARCHAR NOT NULL,
    code            VARCHAR,                  -- resolved collectivity, NULL if the name did not resolve
    check_status    VARCHAR NOT NULL CHECK (check_status IN
                        ('consistent', 'contradicted', 'not_checkable', 'unresolved')),
    check_detail    VARCHAR NOT NULL
);

-- The maintainers' structured reading of each claim (data/raw/palmares/claim_facts.csv), which
-- continuity analytics may use as evidence when the caller allows it.
CREATE TABLE claim_fact (
    source_row      INTEGER PRIMARY KEY,      -- row in claim_facts.csv (header = 1)
    claim_row       INTEGER NOT NULL REFERENCES claim (source_row),
    fact            VARCHAR NOT NULL CHECK (fact IN
                        ('level_at', 'count_up_to', 'first_at_level', 'first_participation')),
    arobases        SMALLINT,
    editions        SMALLINT[] NOT NULL,      -- label years the fact names (may be empty)
    count           SMALLINT,
    consecutive     BOOLEAN NOT NULL,
    up_to           SMALLINT,
    interpreted_by  VARCHAR NOT NULL
);

-- @ counts seen on a collectivity's page with no label year (undated_jdn_snapshot.csv): weak
-- evidence that it was labelled at some edition before the page was seen, never a laureate row,
-- never counted in coverage, continuity or eligibility. Every row read is here, resolved or not.
CREATE TABLE undated_observation (
    source_file        VARCHAR  NOT NULL,    -- relative to the project root
    source_row         INTEGER  NOT NULL,    -- row as a spreadsheet shows it (header = 1)
    name               VARCHAR  NOT NULL,    -- as shown
    published_departement VARCHAR,           -- as shown (a name: "Seine-et-Marne")
    published_code     VARCHAR,              -- INSEE code as the scrape gives it
    arobases           TINYINT  NOT NULL CHECK (arobases BETWEEN 1 AND 5),
    shown_as           VARCHAR  NOT NULL,    -- the page's words ("2 arobase(s)")
    code               VARCHAR,              -- INSEE code (COG 2026) or SIREN; NULL: not resolved
    entity             VARCHAR CHECK (entity IN ('commune', 'epci')),
    departement        VARCHAR,              -- département code of the collectivity
    resolution_method  VARCHAR,
    reason             VARCHAR,              -- why the row did not resolve (as in quarantine)
    observed_before    DATE     NOT NULL,    -- the page showed this on that day or before
    observed_by        VARCHAR  NOT NULL,    -- the file that carried the page's value (scrape)
    source_url         VARCHAR  NOT NULL,    -- the page
    PRIMARY KEY (source_file, source_row),
    CHECK ((code IS NULL) = (reason IS NOT NULL))
);

COMMENT ON TABLE edition_aggregate IS 'Published aggregates per edition (totals, counts per level and kind), one row per source';
COMMENT ON TABLE edition IS 'One row per label year: number, ceremony, counts chosen among the sources by the written rule';
COMMENT ON TABLE edition_conflict IS 'Edition values on which sources disagree: each value with its sources, the chosen one and why';
COMMENT ON TABLE complete_declaration IS 'Palmarès files declared complete for their editions: who declared it, when, and the rows of each edition in the file';
COMMENT ON TABLE laureates IS 'Palmarès rows resolved to a commune (INSEE code) or an EPCI (SIREN), with the decision and the source';
COMMENT ON TABLE quarantine IS 'Palmarès rows set aside (ambiguous, unknown, foreign, not a collectivity), with the reason';
COMMENT ON TABLE claim IS 'Statements of continuity from the press, checked against the palmarès';
COMMENT ON TABLE claim_fact IS 'What each claim implies, as structured facts read by the maintainers';
COMMENT ON TABLE undated_observation IS '@ counts seen on a page with no label year (journaldunet.com): weak evidence, never a laureate row';

-- ---------------------------------------------------------------------------------------------
-- Illectronism figures (INSEE and a few other producers), read by pipeline/build/sources/insee.py and
-- insee_download.py, assembled by pipeline/build/assemble/illectronism.py.
-- Definitions changed (2019: 4 domains, no use in 12 months; 2021: 5 domains, 3 months; 2025:
-- 16-74 year-olds): never compare figures of different definition_version or population_scope
-- without saying so (pipeline.analysis.illectronism.figures refuses to mix them by default).

-- One published figure per row: its geography (as published and joined to COG 2026), breakdown,
-- indicator, value, unit, population, definition, estimation method and source.
CREATE TABLE illectronism (
    source_file                VARCHAR  NOT NULL,  -- relative to the project root
    source_row                 INTEGER  NOT NULL,  -- row as an editor shows it (header = 1); JSON: line of the object
    year                       SMALLINT NOT NULL,  -- year of the data (survey year), not of the publication
    geography_level            VARCHAR  NOT NULL CHECK (geography_level IN ('country', 'region',
                                   'departement', 'arrondissement', 'epci', 'epci_group',
                                   'infra_departement', 'infra_region', 'urban_area_type',
                                   'region_group', 'supranational')),
    geography_code             VARCHAR,            -- as published (INSEE code, SIREN of an EPCI, FR, FR-METRO...); NULL if none
    geography_name             VARCHAR  NOT NULL,  -- as published
    code_vintage               SMALLINT,           -- year of the geography the published code belongs to
    current_code               VARCHAR,            -- COG 2026 région/département/arrondissement/EPCI the figure is attached to
    code_joined                BOOLEAN,            -- current_code found; NULL for levels without reference geography
    same_territory             BOOLEAN,            -- TRUE only when current_code covers exactly the figure's territory
    join_method                VARCHAR  NOT NULL,  -- same_code, same_code_changed, same_communes_new_code, absorbed, split, ...
    join_note                  VARCHAR,            -- why the territory differs or the code did not join
    breakdown                  VARCHAR  NOT NULL,  -- none, age, sex, diploma, pcs, income_quintile, household_type...
    breakdown_value            VARCHAR  NOT NULL,  -- 'all' when breakdown = none
    indicator                  VARCHAR  NOT NULL,
    value                      DOUBLE,             -- the number stated (exact or approximate); NULL for bounds, ranges, missing
    value_kind                 VARCHAR  NOT NULL CHECK (value_kind IN
                                   ('exact', 'approximate', 'range', 'below', 'above', 'missing')),
    value_low                  DOUBLE,             -- range or lower bound (value_kind range, above)
    value_high                 DOUBLE,             -- range or upper bound (value_kind range, below)
    value_published            VARCHAR  NOT NULL,  -- as written in the source file
    unit                       VARCHAR  NOT NULL CHECK (unit IN
                                   ('percent', 'persons', 'thousand_persons', 'million_persons')),
    population_scope           VARCHAR  NOT NULL,  -- normalised: 15+, 16-74, 15+ internet users, households...
    population_scope_published VARCHAR  NOT NULL,
    definition_version         VARCHAR CHECK (definition_version IN
                                   ('2019', '2021', '2025', 'eurostat_dsi_v1', 'eurostat_dsi_2')),  -- NULL: not a skills indicator
    estimation                 VARCHAR  NOT NULL CHECK (estimation IN ('survey', 'modelled', 'not_stated')),
    producer                   VARCHAR  NOT NULL,
    publication                VARCHAR  NOT NULL,  -- as cited, with the relay in brackets when second-hand
    source_url                 VARCHAR  NOT NULL,
    quote                      VARCHAR,
    is_second_hand             BOOLEAN  NOT NULL,  -- the figure was read in a relay (press, blog, GitHub copy), not on the producer's page
    relayed_by                 VARCHAR,            -- the relay, as the source names it
    note                       VARCHAR,            -- e.g. the curated rows a figure download replaces
    PRIMARY KEY (source_file, source_row, indicator)
);

COMMENT ON TABLE illectronism IS 'Illectronism and digital-skills figures: year, geography (joined to COG 2026), breakdown, value, unit, population scope, definition version, modelled or surveyed, source, second-hand flag';
