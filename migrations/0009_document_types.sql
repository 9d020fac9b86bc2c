-- Document types as rows, not CHECK lists. 0005 listed the known types in
-- two CHECK constraints (the event codes on document_events, the number
-- prefixes on document_counters); a new type would have had to edit an old
-- migration's lists. Now a type is a row of document_types and each of its
-- number series a row of document_number_series, and the two tables point
-- at them with foreign keys: the migration that adds a type inserts its
-- rows. The rows match sales.DocumentTypes (a test compares them).

-- +goose Up
CREATE TABLE document_types (
    code text NOT NULL CONSTRAINT document_types_pkey PRIMARY KEY
              CONSTRAINT document_types_code_shape CHECK (code ~ '^[A-Z][A-Z_]{1,29}$'),
    name text NOT NULL CONSTRAINT document_types_name_not_blank CHECK (btrim(name) <> '')
);

-- A number series (QT-2026-000123) belongs to one document type; a type
-- has its own series and may carry others (a delivery's bill of lading).
CREATE TABLE document_number_series (
    prefix   text NOT NULL CONSTRAINT document_number_series_pkey PRIMARY KEY
                  CONSTRAINT document_number_series_prefix_shape CHECK (prefix ~ '^[A-Z]{2,5}$'),
    doc_type text NOT NULL CONSTRAINT document_number_series_type_fkey REFERENCES document_types (code),
    own      boolean NOT NULL
);
-- One own series per type.
CREATE UNIQUE INDEX document_number_series_own_key ON document_number_series (doc_type) WHERE own;

INSERT INTO document_types (code, name) VALUES
    ('QUOTE', 'quote'), ('ORDER', 'sales order'), ('DELIVERY', 'delivery'), ('RETURN', 'return');
INSERT INTO document_number_series (prefix, doc_type, own) VALUES
    ('QT', 'QUOTE', true), ('SO', 'ORDER', true), ('DN', 'DELIVERY', true), ('BOL', 'DELIVERY', false), ('RMA', 'RETURN', true);

ALTER TABLE document_counters DROP CONSTRAINT document_counters_type_known,
    ADD CONSTRAINT document_counters_series_fkey FOREIGN KEY (doc_type) REFERENCES document_number_series (prefix);
ALTER TABLE document_events DROP CONSTRAINT document_events_type_known,
    ADD CONSTRAINT document_events_type_fkey FOREIGN KEY (doc_type) REFERENCES document_types (code);

-- +goose Down
-- Back to 0005's lists, which name only the types 0005 knew: rolling back a
-- later type's migration first removes its rows and events.
ALTER TABLE document_events DROP CONSTRAINT document_events_type_fkey,
    ADD CONSTRAINT document_events_type_known CHECK (doc_type IN ('QUOTE','ORDER','DELIVERY','RETURN'));
ALTER TABLE document_counters DROP CONSTRAINT document_counters_series_fkey,
    ADD CONSTRAINT document_counters_type_known CHECK (doc_type IN ('QT','SO','DN','RMA','BOL'));
DROP TABLE document_number_series;
DROP TABLE document_types;
