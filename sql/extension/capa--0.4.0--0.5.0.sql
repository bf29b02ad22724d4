-- capa 0.4.0 -> 0.5.0: what the certification auditor samples.
--
-- The finding's facts (when it was found, the requirement not met, its
-- grade, what was seen), evidence items in the record's hash chain,
-- sign-offs with a meaning, recurrence found through links, and the
-- evidence pack and report that show them.  Each part is a section of its
-- own below, in the order of the topic files that define the same objects
-- (sql/extension/NN_*.sql; docs/layout.md, "Changing the extension's SQL").
-- Nothing hashed changes: new register columns come after chain_head and
-- are encoded only when not NULL (docs/audit-chain.md), so every row and
-- digest written before verifies as it did.

\echo Use "ALTER EXTENSION capa UPDATE TO '0.5.0'" to load this file. \quit

-- [facts] the finding's facts

-- [signoff] sign-offs with a meaning

-- [attach] evidence items in the chain

-- [recurrence] recurrence from links

-- [report] the evidence pack and the report
