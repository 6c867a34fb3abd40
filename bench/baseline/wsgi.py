from bench.baseline import create_app

app = create_app()
