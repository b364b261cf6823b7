-- cfrec 1.0.2 -> 1.1.0. Run by ALTER EXTENSION cfrec UPDATE; keeps every
-- model, training-log row, impression and reaction as it is.
\echo Use "ALTER EXTENSION cfrec UPDATE TO '1.1.0'" to load this file. \quit

-- Every model gets an owner (issue 13, H1 and M4): the role that trained it
-- last before this update stands in for the one that first trained it.
-- Only the owner, roles with its privileges and superusers may change or
-- drop the model, and cfrec reads the model's source as the owner.
ALTER TABLE @extschema@.cfrec_model ADD COLUMN owner name;
UPDATE @extschema@.cfrec_model SET owner = trained_by;
ALTER TABLE @extschema@.cfrec_model ALTER COLUMN owner SET NOT NULL;

CREATE OR REPLACE VIEW @extschema@.cfrec_models AS
SELECT m.name AS model, m.feedback, m.algorithm, m.source,
       m.user_column, m.item_column, m.rating_column,
       m.factors, m.iterations, m.regularization, m.alpha, m.seed,
       m.users, m.items, m.interactions,
       (m.users + m.items) * m.factors * 4 AS factor_bytes,
       m.loss, m.train_seconds, m.trained_at, m.trained_by, m.version,
       m.watermark_column, m.watermark, m.updated_at, m.updates,
       m.last_update_users, m.last_update_items, m.owner
FROM @extschema@.cfrec_model m;

CREATE OR REPLACE FUNCTION @extschema@.cfrec_drop_model(model text, if_exists boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF model IS NULL OR if_exists IS NULL THEN
        RAISE EXCEPTION 'model and if_exists must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF model = '' THEN
        RAISE EXCEPTION 'model name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM FROM @extschema@.cfrec_model m
    WHERE m.name = cfrec_drop_model.model AND NOT pg_has_role(m.owner, 'USAGE');
    IF FOUND THEN
        RAISE EXCEPTION 'must have the privileges of the owner of cfrec model "%" to drop it', model
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'The owner can GRANT its role to yours; SELECT owner FROM cfrec_models says who it is.';
    END IF;
    DELETE FROM @extschema@.cfrec_model m WHERE m.name = cfrec_drop_model.model;
    IF NOT FOUND THEN
        IF if_exists THEN
            RAISE NOTICE 'cfrec model "%" does not exist, skipping', model;
            RETURN;
        END IF;
        RAISE EXCEPTION 'cfrec model "%" does not exist', model
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT model FROM cfrec_models lists the trained models.';
    END IF;
    DELETE FROM @extschema@.cfrec_user_factors f WHERE f.model = cfrec_drop_model.model;
    DELETE FROM @extschema@.cfrec_item_factors f WHERE f.model = cfrec_drop_model.model;
END
$$;
