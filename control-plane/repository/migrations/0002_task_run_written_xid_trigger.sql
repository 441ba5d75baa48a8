-- Every write of a task run records the writing transaction's id, whichever component wrote it, so the
-- executor can read only the rows written since its previous read (see ExecutionsStore.taskRunsSince).
CREATE FUNCTION roost_task_run_written_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.written_xid := (pg_current_xact_id()::text)::bigint;
  RETURN NEW;
END;
$$;--> statement-breakpoint
CREATE TRIGGER task_runs_written_xid BEFORE INSERT OR UPDATE ON task_runs
  FOR EACH ROW EXECUTE FUNCTION roost_task_run_written_xid();
