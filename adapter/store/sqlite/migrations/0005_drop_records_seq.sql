-- Every list of records names its kind, so it pages on records_kind_seq
-- or records_kind_patient_seq. records_seq served no query, cost two
-- index entries a record write (the insert and the final sequence
-- value), and gave the planner a wrong path: a generic plan of a
-- patient's list could walk the whole table in seq order, filtering,
-- when the patient filter looked unselective. Sequence values are unique
-- by construction (nextval).
DROP INDEX records_seq;
