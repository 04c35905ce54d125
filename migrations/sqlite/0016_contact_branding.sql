-- How clients reach the business (shown on its pages and in every email) and its brand
-- colour. Empty = not given.
alter table tenants add column contact_email text not null default '';
alter table tenants add column contact_phone text not null default '';
alter table tenants add column contact_address text not null default '';
alter table tenants add column contact_website text not null default '';
alter table tenants add column brand_color text not null default '';
