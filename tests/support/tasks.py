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


def run_queued_at_once(app, name):
    """Run every queued task called ``name``, each in its own thread, all released at the same moment
    (as many workers would); other tasks stay queued. Returns how many ran."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    huey = queue_of(app)
    mine, others = [], []
    while (task := huey.dequeue()) is not None:
        (mine if task.name == name else others).append(task)
    for task in others:
        huey.enqueue(task)
    if not mine:
        return 0
    start = threading.Barrier(len(mine))

    def run(task):
        start.wait()
        huey.execute(task)

    with ThreadPoolExecutor(max_workers=len(mine)) as pool:
        list(pool.map(run, mine))
    return len(mine)
