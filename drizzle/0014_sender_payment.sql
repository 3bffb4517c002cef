-- Whether a WhatsApp sender's WABA had a funding source for paid messages (Meta's
-- `primary_funding_id`) when it last connected; the id itself is not kept. Null for a Page and
-- for senders connected before this column: unknown (docs/senders.md). Hand-written.
ALTER TABLE `senders` ADD `waba_funded` integer;
