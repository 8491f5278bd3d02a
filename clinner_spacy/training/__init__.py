"""Training helpers registered for spaCy configs: readers, callbacks, schedules."""
