"""NestPay (EST), the virtual POS of Turkish banks (Is Bankasi, Akbank, Halkbank, Ziraat): the
3D Pay hash (`hashing`), the meaning of the bank's answer codes (`codes`) and a simulator of the
bank for tests and the demo (`simulator`). Everything here is pure standard library, so the
simulator can run as its own process without Django.
"""
