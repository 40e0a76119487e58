# The mistake: the greeting is printed, today's date is not.
print("Hello from Docker!")
