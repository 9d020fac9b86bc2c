-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION widget_count() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM widgets;
$$;
-- +goose StatementEnd
INSERT INTO widgets (name) VALUES ('sprocket'), ('gear');

-- +goose Down
DELETE FROM widgets;
DROP FUNCTION widget_count();
