"""The audit log as users read it (admin API). The trail itself is kept by the kit
(steward.core.audit), since every write through the kit leaves an event."""
