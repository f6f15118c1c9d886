-- Whose database this is: the block key of the member that first started on it. A member started
-- on another member's database would restore that member's consensus log as its own and sign it
-- again with its own key; it is refused instead. One row at most.
CREATE TABLE member_identity (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  block_key bytea NOT NULL
);
