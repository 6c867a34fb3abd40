"""Running the task queue's jobs in a test, as a worker would."""

from app.queue import queue_of


def run_queued(app, name="send_reset_link"):
    """Run every queued task called ``name`` and take it off the queue; other tasks stay queued."""
    huey = queue_of(app)
    others, ran = [], 0
    while (task := huey.dequeue()) is not None:
        if task.name == name:
            huey.execute(task)
            ran += 1
        else:
            others.append(task)
    for task in others:
        huey.enqueue(task)
    return ran
