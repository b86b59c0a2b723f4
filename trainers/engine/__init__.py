"""What the teacher and student trainers share: device choice, optimizer and schedule, the
training loop with checkpoint/resume, and the per-step loss log."""
