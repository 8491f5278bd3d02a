"""What project.yml runs: corpus assets from a mirror, the experiment plan, arm training and evaluation."""
