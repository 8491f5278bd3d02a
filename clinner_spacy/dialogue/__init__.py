"""Doctor-patient dialogue: speaker turns, segmentation, annotation of dialogue files."""
