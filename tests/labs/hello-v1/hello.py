from datetime import date

print("Hello from Docker!")
print(f"Today is {date.today().isoformat()}")
