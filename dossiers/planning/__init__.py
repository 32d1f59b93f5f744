"""Plans and what they make people owe: deadline rules in force, obligations as domain data."""
