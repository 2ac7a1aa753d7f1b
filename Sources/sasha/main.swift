print("sasha")
