-- cfrec_refresh_trigger: new rows refresh their users as they are inserted.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE TABLE feed AS SELECT * FROM ratings;
CREATE INDEX ON feed (user_id, item_id);
SELECT users FROM cfrec_train('feed', model => 'feed', factors => 4, iterations => 10);
CREATE TRIGGER feed_refresh AFTER INSERT ON feed REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION cfrec_refresh_trigger('feed');
INSERT INTO feed VALUES (9000, 23, 5), (9000, 31, 5), (9000, 37, 5), (9000, 2, 1), (9001, 5, 5);
SELECT users FROM cfrec_models WHERE model = 'feed';
SELECT id FROM cfrec_user_factors WHERE model = 'feed' AND id >= 9000 ORDER BY id;
SELECT bool_and(item_id > 20) AS their_group FROM cfrec_recommend(9000, 5, model => 'feed');
RESET client_min_messages;
-- A row the model cannot use makes the INSERT fail as a whole: nothing of it
-- stays, in the table or in the model.
INSERT INTO feed VALUES (9002, 23, 5), (9002, 31, 'NaN');
SELECT count(*) FROM feed WHERE user_id = 9002;
SELECT count(*) FROM cfrec_user_factors WHERE model = 'feed' AND id = 9002;
-- Misuse.
CREATE TRIGGER feed_bad AFTER INSERT ON feed FOR EACH ROW EXECUTE FUNCTION cfrec_refresh_trigger('feed');
INSERT INTO feed VALUES (9003, 1, 1);
DROP TRIGGER feed_bad ON feed;
DROP TRIGGER feed_refresh ON feed;
