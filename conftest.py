import os

os.environ.setdefault("VEOSTUDIO_TESTING", "1")
os.environ.setdefault("VEOSTUDIO_SKIP_DOTENV", "1")
