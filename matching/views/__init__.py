"""Pages of the workbench section: the overview, queues, items and their actions, and tolerance rules."""
