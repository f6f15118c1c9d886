-- An operator's request to resume minting after a deep Bitcoin reorg halted it. The member takes
-- a request (marks it applied) before it resumes, so a request outlives no halt it was made for.
CREATE TABLE pegin_resume_requests (
  id bigserial PRIMARY KEY,
  requested_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz
);
