import factory
from allauth.account.models import EmailAddress

from contracts.models import Contact, Customer
from core.models import StaffMembership, Tenant, User
from core.roles import ContactRole, StaffRole

PASSWORD = "correct horse battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = StaffRole.SUPPORT


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Faker("company")
    number = factory.Sequence(lambda n: f"C-{n:05d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    tenant = factory.SelfAttribute("customer.tenant")
    user = factory.SubFactory(UserFactory)
    role = ContactRole.OWNER


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subscriptions.Module"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Module {n}")
    description = "Does useful things."


class TariffFactory(factory.django.DjangoModelFactory):
    """A tariff with one price line (`price`), monthly unless told otherwise."""

    class Meta:
        model = "subscriptions.Tariff"
        skip_postgeneration_save = True

    module = factory.SubFactory(ModuleFactory)
    tenant = factory.SelfAttribute("module.tenant")
    name = factory.Sequence(lambda n: f"Tariff {n}")
    currency = "EUR"
    interval_months = 1
    minimum_term_months = 0
    notice_period_days = 30
    change_notice_days = 0

    @factory.post_generation
    def price(self, create, extracted, **kwargs):
        from decimal import Decimal

        from subscriptions.models import TariffPrice

        if create:
            TariffPrice.objects.create(
                tenant=self.tenant,
                tariff=self,
                description=self.name,
                unit_price=Decimal(extracted or "10.00"),
            )


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subscriptions.Option"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Option {n}")
    unit_price = "5.00"


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "subscriptions.Package"

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Package {n}")
    kind = "credits"
    credits = 10
    duration_days = None
    price = "100.00"
