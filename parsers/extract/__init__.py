"""The rule engine: lexicons and patterns from config/rules, a gazetteer, and the events they yield."""
