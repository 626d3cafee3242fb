"""Durable workflows (design section 7): runs, timers, schedules, splits and goals."""
