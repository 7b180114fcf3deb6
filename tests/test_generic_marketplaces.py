"""Real exports of marketplaces and shop systems outside the English-speaking world, guessed with
no format of their own: their headers as the systems write them (rows made up, figures by hand).
From a read-only audit in which 14 of 15 such headers read revenue, dates or customers from the
wrong column (a fee, a payout, a sale's number, a row's type)."""
# ruff: noqa: E501 (export rows are kept verbatim, one a line)

import polars as pl
import pytest

from lib import formats, io
from lib.formats.generic import _LISTED, _says_unsold, guess_mapping
from lib.measures import is_sale

ML_AR = """\
# de venta,Fecha de venta,Estado,Unidades,Ingresos por productos (ARS),Cargo por venta,Costo fijo,Ingresos por envío (ARS),Costos de envío (ARS),Impuestos,Descuentos y bonificaciones,Anulaciones y reembolsos (ARS),Total (ARS),SKU,# de publicación,Título de la publicación,Comprador,DNI,Estado,Reclamo abierto,Con mediación
2000001111,03/03/2024,Entregada,2,"10.000,00","-1.300,00","-900,00","0,00","0,00","-300,00","0,00","0,00","7.500,00",TAZA-01,MLA111,Taza cerámica,Lucía Gómez,27111222,Buenos Aires,No,No
2000001112,04/03/2024,Entregada,1,"125.000,00","-16.250,00","-900,00","2.500,00","-4.000,00","-3.750,00","0,00","0,00","102.600,00",CAFE-EXP,MLA112,Cafetera express,Martín Pérez,20333444,Córdoba,No,No
2000001113,12/03/2024,Cancelada,1,"18.000,00","-2.340,00","-900,00","0,00","0,00","-540,00","0,00","-18.000,00","0,00",MOLI-2,MLA113,Molinillo manual,Sofía Ruiz,27555666,Santa Fe,No,No
2000001114,14/03/2024,Entregada,3,"7.500,00","-975,00","-900,00","0,00","0,00","-225,00","0,00","0,00","5.400,00",FILT-100,MLA114,Filtros x100,Lucía Gómez,27111222,Buenos Aires,No,No
2000001115,18/03/2024,En camino,1,"45.500,00","-5.915,00","-900,00","3.200,00","-4.700,00","-1.365,00","0,00","0,00","35.820,00",PAVA-E,MLA115,Pava eléctrica,Diego Fernández,20777888,Mendoza,No,No
2000001116,21/03/2024,Venta cancelada. No enviar.,2,"19.800,00","-2.574,00","-900,00","0,00","0,00","-594,00","0,00","-19.800,00","0,00",TAZA-01,MLA111,Taza cerámica,Valentina Díaz,27999000,Salta,No,No
2000001117,27/03/2024,Entregada,1,"7.600,00","-988,00","-900,00","0,00","0,00","-228,00","0,00","0,00","5.484,00",TERM-1,MLA117,Termo 1L,Tomás Romero,20123123,Buenos Aires,No,No
"""


EBAY_DE_TRANSACTIONS = """\
Datum der Transaktionserstellung;Typ;Bestellnummer;Alte Bestellnummer;Nutzername des Käufers;Name des Käufers;Angebotstitel;Zwischensumme Artikel;Verpackung und Versand;Von eBay eingezogene Steuer;Fixer Anteil der Verkaufsprovision;Variabler Anteil der Verkaufsprovision;Gebühr für sehr hohe Quote;Gebühr für unterdurchschnittlichen Servicestatus;Internationale Gebühr;Transaktionsbetrag (inkl. Kosten);Betrag abzügl. Kosten;Auszahlung Nr.;Auszahlungsdatum;Transaktionswährung;Beschreibung;Referenznummer;Transaktionsnummer
04.03.2024;Bestellung;05-11000-00001;--;kaeufer_a;Anja Roth;Holzeisenbahn Set;39,90;4,99;0,00;-0,35;-4,39;0,00;0,00;0,00;44,89;40,15;7000001;27.03.2024;EUR;--;REF0;TX0
05.03.2024;Bestellung;05-11000-00002;--;kaeufer_b;Ben Ott;Puppenhaus Möbel;1.299,00;0,00;0,00;-0,35;-142,89;0,00;0,00;0,00;1.299,00;1.155,76;7000001;27.03.2024;EUR;--;REF1;TX1
13.03.2024;Bestellung;05-11000-00003;--;kaeufer_c;Cem Yilmaz;Bauklötze 100 Stück;24,50;4,99;0,00;-0,35;-2,69;0,00;0,00;0,00;29,49;26,45;7000001;27.03.2024;EUR;--;REF2;TX2
14.03.2024;Bestellung;05-11000-00004;--;kaeufer_a;Anja Roth;Kaufladen Zubehör;15,00;3,99;0,00;-0,35;-1,65;0,00;0,00;0,00;18,99;16,99;7000001;27.03.2024;EUR;--;REF3;TX3
18.03.2024;Bestellung;05-11000-00005;--;kaeufer_d;Dana Vogt;Murmelbahn;59,00;5,49;0,00;-0,35;-6,49;0,00;0,00;0,00;64,49;57,65;7000001;27.03.2024;EUR;--;REF4;TX4
20.03.2024;Rückerstattung;05-11000-00003;--;kaeufer_c;Cem Yilmaz;Bauklötze 100 Stück;-24,50;-4,99;0,00;0,00;0,00;0,00;0,00;0,00;-29,49;-29,49;7000001;27.03.2024;EUR;--;REF5;TX5
25.03.2024;Andere Gebühr;--;--;--;--;Gebühr für Anzeigen im Standard-Format;--;--;--;--;--;--;--;--;-12,34;-12,34;7000001;27.03.2024;EUR;Gebühr für Anzeigen im Standard-Format;REF6;TX6
26.03.2024;Auszahlung;--;--;--;--;--;--;--;--;--;--;--;--;--;-1.250,00;-1.250,00;7000001;27.03.2024;EUR;--;REF7;TX7
"""


AMAZON_ES = """\
"fecha y hora","identificador de pago","tipo","número de pedido","sku","descripción","cantidad","web de Amazon","gestión logística","ciudad de procedencia del pedido","comunidad autónoma de procedencia del pedido","código postal de procedencia del pedido","Formulario de recaudación de impuestos","ventas de productos","impuesto de ventas de productos","abonos de envío","impuestos por abonos de envío","abonos de envoltorio para regalo","giftwrap credits tax","devoluciones promocionales","impuestos de descuentos por promociones","impuesto retenido en el sitio web","tarifas de venta","tarifas de Logística de Amazon","tarifas de otras transacciones","otro","total"
"02.03.2024 10:00:00 UTC","123456789","Pedido","302-1111111-0000001","MUG-01","Tasse Keramik","1","amazon.es","Amazon","Madrid","Madrid","10115","MarketplaceFacilitator","19,99","0,00","3,99","0,00","0,00","0,00","0,00","0,00","0,00","-3,00","-2,70","0,00","0,00","18,28"
"03.03.2024 10:01:00 UTC","123456789","Pedido","302-1111111-0000002","MUG-02","Tasse Keramik 4er","2","amazon.es","Amazon","Sevilla","Andalucía","10115","MarketplaceFacilitator","59,80","0,00","0,00","0,00","0,00","0,00","-5,00","0,00","0,00","-8,97","-5,40","0,00","0,00","40,43"
"13.03.2024 10:02:00 UTC","123456789","Pedido","302-1111111-0000003","LAMP-9","Stehlampe","1","amazon.es","Amazon","Valencia","Comunidad Valenciana","10115","MarketplaceFacilitator","1.249,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","-187,35","-9,80","0,00","0,00","1.051,85"
"14.03.2024 10:03:00 UTC","123456789","Pedido","302-1111111-0000004","MUG-01","Tasse Keramik","3","amazon.es","Amazon","Bilbao","País Vasco","10115","MarketplaceFacilitator","59,97","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","-9,00","-8,10","0,00","0,00","42,87"
"15.03.2024 10:04:00 UTC","123456789","Pedido","302-1111111-0000005","TEA-3","Teekanne","1","amazon.es","Amazon","Madrid","Madrid","10115","MarketplaceFacilitator","34,50","0,00","3,99","0,00","0,00","0,00","0,00","0,00","0,00","-5,18","-3,20","0,00","0,00","30,11"
"20.03.2024 10:05:00 UTC","123456789","Reembolso","302-1111111-0000001","MUG-01","Tasse Keramik","1","amazon.es","Amazon","Sevilla","Andalucía","10115","MarketplaceFacilitator","-19,99","0,00","-3,99","0,00","0,00","0,00","0,00","0,00","0,00","2,40","0,00","0,00","0,00","-21,58"
"25.03.2024 10:06:00 UTC","123456789","Tarifa de prestación de servicio","","","Abonnementgebühr","","","","","","","","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","-49,00","0,00","-49,00"
"28.03.2024 10:07:00 UTC","123456789","Transferir","","","An Ihr Bankkonto","","","","","","","","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","0,00","-1.500,00"
"""


SHOPEE_BR = """\
ID do pedido;Status do pedido;Data de criação do pedido;Data de envio prevista;Opção de envio;Código de rastreio;Nº de referência do SKU principal;Nome do Produto;Número de referência SKU;Nome da variação;Preço acordado;Quantidade;Subtotal do produto;Taxa de transação;Taxa de comissão bruta;Taxa de comissão líquida;Taxa de serviço bruta;Taxa de serviço líquida;Taxa de envio paga pelo comprador;Valor estimado do frete;Total global;Total do pedido;Cidade;Estado
240301AAA1;Concluído;2024-03-03 10:03;2024-03-05;Shopee Xpress;BR240301AAA1;CAM-P;Camiseta Básica;CAM-P-AZ;Azul,P;39,90;2;79,80;0,00;11,17;9,58;4,79;3,99;9,90;12,50;65,44;119,60;São Paulo;SP
240301AAA1;Concluído;2024-03-03 10:03;2024-03-05;Shopee Xpress;BR240301AAA1;BON-1;Boné Aba Curva;BON-1-PT;Preto;29,90;1;29,90;0,00;4,19;3,59;1,79;1,50;9,90;12,50;24,52;119,60;São Paulo;SP
240305BBB2;Concluído;2024-03-05 10:05;2024-03-07;Shopee Xpress;BR240305BBB2;TEN-42;Tênis Corrida;TEN-42-BR;Branco,42;349,90;1;349,90;0,00;48,99;41,99;20,99;17,50;9,90;12,50;286,92;359,80;Recife;PE
240313CCC3;Cancelado;2024-03-13 10:13;2024-03-15;Shopee Xpress;BR240313CCC3;CAM-P;Camiseta Básica;CAM-P-VM;Vermelho,P;39,90;3;119,70;0,00;16,76;14,36;7,18;5,98;9,90;12,50;98,15;129,60;Curitiba;PR
240314DDD4;Enviado;2024-03-14 10:14;2024-03-16;Shopee Xpress;BR240314DDD4;MOC-1;Mochila Escolar;MOC-1-CZ;Cinza;1.249,00;1;1.249,00;0,00;174,86;149,88;74,94;62,45;9,90;12,50;1.024,18;1.258,90;Manaus;AM
240318EEE5;A Enviar;2024-03-18 10:18;2024-03-20;Shopee Xpress;BR240318EEE5;MEI-3;Meia Kit 3;MEI-3-BR;Branco;24,90;4;99,60;0,00;13,94;11,95;5,98;4,98;9,90;12,50;81,67;109,50;Fortaleza;CE
240322FFF6;Concluído;2024-03-22 10:22;2024-03-24;Shopee Xpress;BR240322FFF6;BON-1;Boné Aba Curva;BON-1-AZ;Azul;29,90;1;29,90;0,00;4,19;3,59;1,79;1,50;9,90;12,50;24,52;39,80;Natal;RN
"""


VTEX = """\
Origin,Order,Sequence,Creation Date,Client Name,Client Last Name,Client ID,Email,Phone,UF,City,SLA Type,Courier,Estimate Delivery Date,Delivery Deadline,Status,Last Change Date,Coupon,Payment System Name,Installments,Payment Value,Quantity_SKU,ID_SKU,Category Ids Sku,Reference Code,SKU Name,SKU Value,SKU Selling Price,SKU Total Price,Shipping List Price,Shipping Value,Total Value,Discounts Totals,Discounts Names,Seller Name,Authorized Date,Currency Code,Taxes,Invoice Numbers,Country,Status raw value (temporary)
Fulfillment,1401010000001-01,01,2024-03-02 14:02:10,Ana,Souza,11122233344,ana@example.com.br,11999990000,SP,Cidade,Normal,Correios,2024-03-07,5bd,Faturado,2024-03-03 09:00:00,,Visa,1,125.60,1,101,/1/2/,CAM-01,Camiseta Algodão,79.90,69.90,69.90,15.90,15.90,125.60,-10.00,Promo Março,Loja Exemplo,2024-03-02 14:30:00,BRL,0.00,NF001,BRA,invoiced
Fulfillment,1401010000001-01,01,2024-03-02 14:02:10,Ana,Souza,11122233344,ana@example.com.br,11999990000,SP,Cidade,Normal,Correios,2024-03-07,5bd,Faturado,2024-03-03 09:00:00,,Visa,1,125.60,2,102,/1/2/,MEI-02,Meia Cano Alto,19.90,19.90,39.80,15.90,15.90,125.60,-10.00,Promo Março,Loja Exemplo,2024-03-02 14:30:00,BRL,0.00,NF001,BRA,invoiced
Fulfillment,1401010000002-01,02,2024-03-05 14:05:10,Bruno,Lima,22233344455,bruno@example.com.br,11999990000,MG,Cidade,Normal,Correios,2024-03-10,5bd,Faturado,2024-03-06 09:00:00,,Pix,1,359.10,1,201,/1/2/,TEN-01,Tênis Casual,399.00,359.10,359.10,0.00,0.00,359.10,-39.90,Promo Março,Loja Exemplo,2024-03-05 14:30:00,BRL,0.00,NF002,BRA,invoiced
Fulfillment,1401010000003-01,03,2024-03-13 14:13:10,Carla,Dias,33344455566,carla@example.com.br,11999990000,RJ,Cidade,Normal,Correios,2024-03-18,5bd,Cancelado,2024-03-14 09:00:00,,Pix,1,1299.00,1,301,/1/2/,JAQ-01,Jaqueta Couro,1299.00,1299.00,1299.00,0.00,0.00,1299.00,-0.00,,Loja Exemplo,2024-03-13 14:30:00,BRL,0.00,NF003,BRA,canceled
Fulfillment,1401010000004-01,04,2024-03-14 14:14:10,Ana,Souza,11122233344,ana@example.com.br,11999990000,SP,Cidade,Normal,Correios,2024-03-19,5bd,Pronto para o manuseio,2024-03-15 09:00:00,,Visa,1,69.60,3,102,/1/2/,MEI-02,Meia Cano Alto,19.90,17.90,53.70,15.90,15.90,69.60,-6.00,Promo Março,Loja Exemplo,2024-03-14 14:30:00,BRL,0.00,NF004,BRA,ready-for-handling
Marketplace,1401010000005-01,05,2024-03-20 14:20:10,Diego,Alves,44455566677,diego@example.com.br,11999990000,PR,Cidade,Normal,Correios,2024-03-25,5bd,Faturado,2024-03-21 09:00:00,,Visa,1,329.80,1,401,/1/2/,BOL-01,Bolsa Transversal,249.90,249.90,249.90,0.00,0.00,329.80,-0.00,,Loja Exemplo,2024-03-20 14:30:00,BRL,0.00,NF005,BRA,invoiced
Marketplace,1401010000005-01,05,2024-03-20 14:20:10,Diego,Alves,44455566677,diego@example.com.br,11999990000,PR,Cidade,Normal,Correios,2024-03-25,5bd,Faturado,2024-03-21 09:00:00,,Visa,1,329.80,1,101,/1/2/,CAM-01,Camiseta Algodão,79.90,79.90,79.90,0.00,0.00,329.80,-0.00,,Loja Exemplo,2024-03-20 14:30:00,BRL,0.00,NF005,BRA,invoiced
"""


SHOPWARE = """\
id;ordernumber;userID;invoice_amount;invoice_amount_net;invoice_shipping;invoice_shipping_net;ordertime;status;cleared;paymentID;transactionID;comment;customercomment;internalcomment;net;taxfree;partnerID;temporaryID;referer;cleareddate;trackingcode;language;dispatchID;currency;currencyFactor
57;20001;12;124.90;104.96;5.90;4.96;2024-03-02 09:12:00;2;12;5;PP-57;;;;0;0;;;;2024-03-02;;1;9;EUR;1
58;20002;15;65.40;54.96;5.90;4.96;2024-03-05 18:40:00;7;12;5;PP-58;;;;0;0;;;;2024-03-05;;1;9;EUR;1
59;20003;12;1487.50;1250.00;0.00;0.00;2024-03-13 11:00:00;4;35;5;PP-59;;;;0;0;;;;;;1;9;EUR;1
60;20004;21;28.70;24.12;4.90;4.12;2024-03-14 08:05:00;2;12;5;PP-60;;;;0;0;;;;2024-03-14;;1;9;EUR;1
61;20005;33;297.50;250.00;0.00;0.00;2024-03-20 21:30:00;0;17;5;PP-61;;;;0;0;;;;;;1;9;EUR;1
62;20006;15;46.55;39.12;4.90;4.12;2024-03-27 13:13:00;7;12;5;PP-62;;;;0;0;;;;2024-03-27;;1;9;EUR;1
"""


EBAY_DE_ORDERS = """\
Verkaufsprotokollnummer;Bestellnummer;Nutzername des Käufers;Name des Käufers;E-Mail des Käufers;Artikelnummer;Angebotstitel;Bestandseinheit;Verkauft über Anzeigen;Anzahl;Verkauft für;Verpackung und Versand;Inklusive MwSt.-Satz;Gesamtbetrag;Verkauft am;Zahlungsdatum;Verschickt am - Datum
101;12-10001-10001;anna_k;Anna Krüger;anna.k@example.de;334455660001;LEGO 10281 Bonsai;10281-A;Nein;1;19,99 €;4,99 €;19,00%;24,98 €;03.03.2025;04.03.2025;05.03.2025
102;12-10002-10002;bernd77;Bernd Maier;bernd77@example.de;334455660002;LEGO 40460 Rosen;40460;Ja;2;12,50 €;0,00 €;19,00%;25,00 €;04.03.2025;04.03.2025;06.03.2025
103;12-10003-10003;carla.s;Carla Sommer;carla@example.de;334455660003;LEGO 10497 Galaxy Explorer;10497;Nein;1;1.249,00 €;0,00 €;19,00%;1.249,00 €;05.03.2025;07.03.2025;08.03.2025
104;12-10004-10004;dieter_h;Dieter Hahn;dieter@example.de;334455660004;LEGO Minifigur Serie 25;71045;Nein;3;5,00 €;3,90 €;19,00%;18,90 €;11.03.2025;11.03.2025;12.03.2025
105;12-10005-10005;eva.w;Eva Wolf;eva.wolf@example.de;334455660005;LEGO 21343 Wikingerdorf;21343;Ja;1;49,90 €;4,99 €;19,00%;54,89 €;13.03.2025;14.03.2025;16.03.2025
106;12-10006-10006;anna_k;Anna Krüger;anna.k@example.de;334455660006;LEGO 40516 Blumenstrauß;40516;Nein;1;8,99 €;1,60 €;19,00%;10,59 €;14.03.2025;15.03.2025;17.03.2025
107;12-10007-10007;bernd77;Bernd Maier;bernd77@example.de;334455660007;LEGO 60388 Rennwagen;60388;Nein;2;15,00 €;0,00 €;19,00%;30,00 €;18.03.2025;18.03.2025;20.03.2025
108;12-10008-10008;frank.z;Frank Ziegler;frank.z@example.de;334455660008;LEGO 42151 Bugatti;42151;Nein;1;99,00 €;6,99 €;19,00%;105,99 €;21.03.2025;22.03.2025;23.03.2025
"""


ML_BR = """\
N.º de venda;Data da venda;Estado;Descrição do status;Unidades;Receita por produtos (BRL);Receita por acréscimo no preço (pago pelo comprador);Taxa de parcelamento equivalente ao acréscimo;Tarifa de venda e impostos (BRL);Receita por envio (BRL);Tarifas de envio (BRL);Custo de envio com base nas medidas e peso declarados;Custo por diferenças nas medidas e no peso do pacote;Cancelamentos e reembolsos (BRL);Total (BRL);Venda por publicidade;SKU;# de anúncio;Título do anúncio;Preço unitário de venda do anúncio (BRL);Comprador;CPF;Estado;Cidade;Forma de entrega
2000005550001;02/03/2024 10:00;Entregue;Entregue;1;189,90;0,00;0,00;-30,38;0,00;-22,90;0,00;0,00;0,00;136,62;Não;SKU01;MLB0001;Produto 01;189,90;Ana Souza;111.222.333-44;São Paulo;Campinas;Mercado Envios
2000005550002;05/03/2024 10:00;Entregue;Entregue;2;99,80;0,00;0,00;-15,97;0,00;-22,90;0,00;0,00;0,00;60,93;Não;SKU02;MLB0002;Produto 02;49,90;Bruno Lima;222.333.444-55;Minas Gerais;Belo Horizonte;Mercado Envios
2000005550003;13/03/2024 10:00;Cancelada;Pacote cancelado pelo Mercado Livre;1;1.399,00;0,00;0,00;-223,84;0,00;-22,90;0,00;0,00;-1.399,00;0,00;Não;SKU03;MLB0003;Produto 03;1.399,00;Carla Dias;333.444.555-66;Rio de Janeiro;Niterói;Mercado Envios
2000005550004;14/03/2024 10:00;Entregue;Entregue;3;89,70;0,00;0,00;-14,35;0,00;-22,90;0,00;0,00;0,00;52,45;Não;SKU04;MLB0004;Produto 04;29,90;Ana Souza;111.222.333-44;São Paulo;Campinas;Mercado Envios
2000005550005;19/03/2024 10:00;A caminho;A caminho;1;2.499,00;0,00;0,00;-399,84;0,00;-22,90;0,00;0,00;0,00;2.076,26;Não;SKU05;MLB0005;Produto 05;2.499,00;Diego Alves;444.555.666-77;Paraná;Curitiba;Mercado Envios
2000005550006;22/03/2024 10:00;Devolvida;Devolução finalizada;1;89,00;0,00;0,00;-14,24;0,00;-22,90;0,00;0,00;-89,00;0,00;Não;SKU06;MLB0006;Produto 06;89,00;Elisa Prado;555.666.777-88;Bahia;Salvador;Mercado Envios
2000005550007;28/03/2024 10:00;Entregue;Entregue;1;15,50;0,00;0,00;-2,48;0,00;0,00;0,00;0,00;0,00;13,02;Não;SKU07;MLB0007;Produto 07;15,50;Fábio Nunes;666.777.888-99;Goiás;Goiânia;Mercado Envios
"""


INVOICES_AT = """\
Rechnungsnummer;Rechnungsdatum;Leistungsdatum;Kundenname;Kunden-UID;Nettobetrag;MwSt-Satz;MwSt-Betrag;Bruttobetrag;Status;Zahlungseingang;Betrag erhalten
RE-2024-001;08.01.2024;29.12.2023;Huber GmbH;ATU12345678;1.200,00;20 %;240,00;1.440,00;bezahlt;20.01.2024;1.440,00
RE-2024-002;09.01.2024;09.01.2024;Maria Gruber;;85,00;20 %;17,00;102,00;bezahlt;09.01.2024;102,00
RE-2024-003;15.01.2024;12.01.2024;Huber GmbH;ATU12345678;640,00;20 %;128,00;768,00;offen;;0,00
RE-2024-004;22.01.2024;22.01.2024;Peter Moser;;150,00;10 %;15,00;165,00;storniert;;0,00
RE-2024-005;30.01.2024;30.01.2024;Maria Gruber;;42,50;20 %;8,50;51,00;bezahlt;02.02.2024;51,00
RE-2024-006;05.02.2024;31.01.2024;Bau Steiner KG;ATU87654321;3.150,00;20 %;630,00;3.780,00;teilbezahlt;20.02.2024;2.000,00
RE-2024-007;13.02.2024;13.02.2024;Eva Novak;;99,00;20 %;19,80;118,80;bezahlt;13.02.2024;118,80
"""


DATACO = """\
Type,Days for shipping (real),Days for shipment (scheduled),Delivery Status,Late_delivery_risk,Category Id,Category Name,Customer City,Customer Country,Customer Email,Customer Fname,Customer Id,Customer Lname,Customer Segment,Customer State,Customer Street,Customer Zipcode,Department Id,Department Name,Latitude,Longitude,Market,Order City,Order Country,Order Customer Id,order date (DateOrders),Order Id,Order Item Cardprod Id,Order Item Discount,Order Item Id,Order Item Product Price,Order Item Profit Ratio,Order Item Quantity,Order Item Total,Order Profit Per Order,Order Region,Order State,Order Status,Order Zipcode,Product Card Id,Product Category Id,Product Description,Product Image,Product Name,Product Price,Product Status,shipping date (DateOrders),Shipping Mode,Sales
DEBIT,3,4,Shipping on time,0,73,Electronics,Caguas,EE. UU.,XXXXXXXXX,Mary,1234,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,1234,1/31/2018 22:56,10001,1360,16.20,180000,89.99,0.15,2,163.78,24.57,US Center,State,COMPLETE,,1360,73,,http://images.example/x.jpg,Wireless Headphones,89.99,0,1/31/2018 22:56,Standard Class,179.98
DEBIT,3,4,Shipping on time,0,73,Electronics,Caguas,EE. UU.,XXXXXXXXX,Mary,1234,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,1234,1/31/2018 22:56,10001,1361,3.00,180001,59.99,0.15,1,56.99,8.55,US Center,State,COMPLETE,,1361,73,,http://images.example/x.jpg,Bluetooth Speaker,59.99,0,1/31/2018 22:56,Standard Class,59.99
TRANSFER,3,4,Shipping on time,0,73,Cleats,Caguas,EE. UU.,XXXXXXXXX,Mary,2211,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,2211,2/1/2018 9:10,10002,365,9.00,180002,59.99,0.15,3,170.97,25.65,Western Europe,State,PENDING_PAYMENT,,365,73,,http://images.example/x.jpg,Running Shoes,59.99,0,2/1/2018 9:10,Standard Class,179.97
CASH,3,4,Shipping on time,0,73,Fishing,Caguas,EE. UU.,XXXXXXXXX,Mary,3310,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,3310,2/2/2018 13:00,10003,1014,0.00,180003,49.98,0.15,1,49.98,7.50,Oceania,State,CLOSED,,1014,73,,http://images.example/x.jpg,Fishing Rod,49.98,0,2/2/2018 13:00,Standard Class,49.98
DEBIT,3,4,Shipping canceled,0,73,Electronics,Caguas,EE. UU.,XXXXXXXXX,Mary,2211,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,2211,2/13/2018 18:45,10004,1360,4.50,180004,89.99,0.15,1,85.49,12.82,Western Europe,State,CANCELED,,1360,73,,http://images.example/x.jpg,Wireless Headphones,89.99,0,2/13/2018 18:45,Standard Class,89.99
PAYMENT,3,4,Shipping on time,0,73,Cleats,Caguas,EE. UU.,XXXXXXXXX,Mary,4420,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,4420,2/20/2018 7:30,10005,365,6.00,180005,59.99,0.15,2,113.98,17.10,South America,State,SUSPECTED_FRAUD,,365,73,,http://images.example/x.jpg,Running Shoes,59.99,0,2/20/2018 7:30,Standard Class,119.98
DEBIT,3,4,Shipping on time,0,73,Fishing,Caguas,EE. UU.,XXXXXXXXX,Mary,3310,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,3310,2/25/2018 11:11,10006,1014,19.99,180006,49.98,0.15,4,179.93,26.99,Oceania,State,COMPLETE,,1014,73,,http://images.example/x.jpg,Fishing Rod,49.98,0,2/25/2018 11:11,Standard Class,199.92
CASH,3,4,Shipping on time,0,73,Electronics,Caguas,EE. UU.,XXXXXXXXX,Mary,5501,Smith,Consumer,PR,5365 Noble Nectar Island,725,2,Fan Shop,18.2,-66.3,USCA,Ciudad,Pais,5501,3/3/2018 16:20,10007,1361,0.00,180007,59.99,0.15,2,119.98,18.00,US Center,State,PROCESSING,,1361,73,,http://images.example/x.jpg,Bluetooth Speaker,59.99,0,3/3/2018 16:20,Standard Class,119.98
"""


ERP_IT = """\
Documento,Tipo,Data,Numero,Progressivo,Descrizione,Quantità,Prezzo unitario,Totale riga,Totale documento,Codice articolo,Serial number,Riferimento ordine,Condizione pagamento,Scadenza,Conto ricavo,Gruppo,Sottogruppo
FT 118,FT,04/03/2024,118,1,Toner nero,2,54.00,108.00,183.00,TN-01,,,Bonifico 30 gg,03/04/2024,58.01.001,Consumabili,
FT 118,FT,04/03/2024,118,2,Carta A4 risma,10,4.20,42.00,183.00,CA-4,,,Bonifico 30 gg,03/04/2024,58.01.001,Consumabili,
FT 119,FT,05/03/2024,119,1,Stampante laser,1,289.00,289.00,352.58,ST-9,,ORD-77,Bonifico 30 gg,04/04/2024,58.01.001,Hardware,
FT 120,FT,12/03/2024,120,1,Toner nero,4,54.00,216.00,263.52,TN-01,,,Bonifico 30 gg,11/04/2024,58.01.001,Consumabili,
FT 121,FT,18/03/2024,121,1,Assistenza tecnica,3,45.00,135.00,267.18,SRV-1,,,Bonifico 30 gg,17/04/2024,58.01.001,Servizi,
FT 121,FT,18/03/2024,121,2,Carta A4 risma,20,4.20,84.00,267.18,CA-4,,,Bonifico 30 gg,17/04/2024,58.01.001,Consumabili,
FT 122,FT,26/03/2024,122,1,Stampante laser,1,289.00,289.00,352.58,ST-9,,ORD-77,Bonifico 30 gg,25/04/2024,58.01.001,Hardware,
FT 123,FT,28/03/2024,123,1,Monitor 27 pollici,2,1180.00,2360.00,2879.20,MN-27,,,Bonifico 30 gg,27/04/2024,58.01.001,Hardware,
"""


OXID = """\
Gutschein-Code;Bestellnummer;Bestelldatum;Firma;Vorname;Nachname;Email;Straße;Hausnummer;PLZ;Ort;Artikelsumme (nicht rabattiert);Bestellsumme;Gutscheinwert;
SOMMER10;20231;2024-06-01 10:12:44;;Anna;Berg;anna@example.de;Hauptstr.;1;50667;Köln;89,90;84,80;10,00;
SOMMER10;20236;2024-06-03 19:02:10;;Jonas;Kühn;jonas@example.de;Hauptstr.;1;50667;Bonn;149,00;139,00;10,00;
WELCOME5;20240;2024-06-04 08:30:00;;Anna;Berg;anna@example.de;Hauptstr.;1;50667;Köln;39,90;39,80;5,00;
SOMMER10;20255;2024-06-09 14:45:31;;Lea;Wolf;lea@example.de;Hauptstr.;1;50667;Essen;1.249,00;1.239,00;10,00;
WELCOME5;20261;2024-06-12 21:05:00;;Tim;Roth;tim@example.de;Hauptstr.;1;50667;Kiel;24,50;24,40;5,00;
SOMMER10;20270;2024-06-15 11:00:00;;Jonas;Kühn;jonas@example.de;Hauptstr.;1;50667;Bonn;72,00;66,90;10,00;
"""


PEDIDOS_PE = """\
Número de Pedido,Fecha,Estado,Método de Pago,Método de Entrega,Productos,Total (S/.)
PED-1001,03/06/2024 10:15,entregado,Yape,Delivery,Polo básico x2; Gorra x1,119.90
PED-1002,04/06/2024 12:40,entregado,Tarjeta,Recojo en tienda,Casaca x1,249.00
PED-1003,07/06/2024 19:05,cancelado,Yape,Delivery,Polo básico x1,39.90
PED-1004,13/06/2024 09:30,pendiente,Transferencia,Delivery,Zapatillas x1,"1,299.00"
PED-1005,21/06/2024 16:45,entregado,Tarjeta,Delivery,Gorra x3,105.00
PED-1006,28/06/2024 20:10,enviado,Plin,Delivery,Polo básico x3,119.70
"""


KASSE_DE = """\
Rechnungsnummer;Rechnungsdatum;Kundenname;Firmenname;Bruttobetrag;Status;Belegart;StornoReferenz;KassenIdAnzeige;RegisterFK;TseSignatur
R-0101;01.03.2024 10:02;Klaus Meier;;23,80;bezahlt;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000000;MEUCIQD...
R-0102;01.03.2024 11:15;Ute Schulz;Schulz OHG;119,00;bezahlt;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000001;MEUCIQD...
R-0103;02.03.2024 09:40;Klaus Meier;;47,60;storniert;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000000;MEUCIQD...
S-0001;02.03.2024 09:55;Klaus Meier;;-47,60;storniert;Stornorechnung;R-0103;Kasse 1;3f2a9c1e-0000-4000-8000-000000000001;MEUCIQD...
R-0104;04.03.2024 16:20;Lisa Brandt;;1.190,00;bezahlt;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000000;MEUCIQD...
R-0105;05.03.2024 12:00;Ute Schulz;Schulz OHG;59,50;offen;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000001;MEUCIQD...
R-0106;06.03.2024 18:30;Jan Vogel;;35,70;bezahlt;Rechnung;;Kasse 1;3f2a9c1e-0000-4000-8000-000000000000;MEUCIQD...
"""


def mapped(name: str, text: str):
    """The guessed mapping of `text` read as the file `name`, and the data set it gives."""
    tables = io.read_file(name, text.encode())
    assert formats.assemble(tables).recognitions[0].kind is None  # no known format
    mapping = guess_mapping(tables[0].frame)
    return mapping.used(), formats.assemble(tables, {tables[0].name: mapping}).dataset


def sold(ds) -> pl.DataFrame:
    lines = ds.tables["lines"]
    return lines.filter(is_sale(lines))


def test_mercado_libre_s_sale_number_is_the_order_and_its_product_income_the_revenue():
    """'# de venta' read as revenue (10,000,005,569 ARS): 'venta' is a sale. By hand: the
    product income of the five sales not cancelled, 10.000 + 125.000 + 7.500 + 45.500 + 7.600 =
    195.600, by four buyers (Lucía twice)."""
    used, ds = mapped("Ventas_AR.csv", ML_AR)
    assert used["order_id"] == "# de venta"
    assert used["revenue"] == "Ingresos por productos (ARS)"
    assert used["item_name"] == "Título de la publicación"
    assert used["customer_id"] == "Comprador"
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(195_600.0)
    assert (lines["order_id"].n_unique(), lines["customer_id"].n_unique()) == (5, 4)


def test_ebay_s_transaction_report_reads_item_subtotals_on_their_creation_day():
    """Revenue was 'Betrag abzügl. Kosten' (net of fees: 5.17 EUR), the day the payout's, the
    status a fee. By hand: 39,90 + 1.299,00 + 24,50 + 15,00 + 59,00 less the 24,50 refunded =
    1.412,90 by four buyers."""
    used, ds = mapped("Transaktionsbericht.csv", EBAY_DE_TRANSACTIONS)
    assert used["revenue"] == "Zwischensumme Artikel"
    assert used["ordered_at"] == "Datum der Transaktionserstellung"
    assert used["customer_id"] == "Nutzername des Käufers"
    assert used["item_name"] == "Angebotstitel"
    assert "status" not in used
    lines = ds.tables["lines"]
    assert lines["revenue"].sum() == pytest.approx(1412.90)
    assert lines["customer_id"].drop_nulls().n_unique() == 4
    assert str(lines.sort("ordered_at")["ordered_at"][0]) == "2024-03-04 00:00:00"


def test_ebay_s_orders_report_reads_the_sale_day_and_the_title():
    """The shipping day was the order's, the buyer's name the item's."""
    used, _ = mapped("Bestellungen.csv", EBAY_DE_ORDERS)
    assert used["ordered_at"] == "Verkauft am"
    assert used["item_name"] == "Angebotstitel"
    assert used["unit_price"] == "Verkauft für"
    assert used["customer_id"] in ("Nutzername des Käufers", "E-Mail des Käufers")


def test_amazon_s_date_range_report_in_spanish_reads_product_sales_and_no_customer():
    """Revenue was 'total' (the payout after fees, transfers included: -387.04 EUR), and the
    row's 'tipo' (Pedido, Reembolso...) was read as customers. By hand: 19,99 + 59,80 +
    1.249,00 + 59,97 + 34,50 less the 19,99 refunded = 1.403,27."""
    used, ds = mapped("informe.csv", AMAZON_ES)
    assert used["revenue"] == "ventas de productos"
    assert used["order_id"] == "número de pedido"
    assert "customer_id" not in used
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(1403.27)
    # The service fee and the transfer to the bank, with no order and no sales, are no orders.
    assert sold(ds)["order_id"].n_unique() == 5
    fees = next(n for n in ds.notes if "neither an order id nor an amount" in n.message)
    assert (fees.column, fees.count) == ("número de pedido", 2)


def test_shopee_vtex_and_shopware_read_the_items_amount_before_shipping_and_fees():
    """Shopee's 'Total global' (after fees) and a buyer's shipping fee as the customer; VTEX's
    'Payment Value' (the order's total with shipping, on every line); Shopware's gross
    'invoice_amount'. By hand: Shopee's first order 79,80 + 29,90 = 109,70."""
    used, ds = mapped("Order.all.csv", SHOPEE_BR)
    assert (used["revenue"], used["order_id"]) == ("Subtotal do produto", "ID do pedido")
    assert "customer_id" not in used
    first = ds.tables["lines"].filter(pl.col("order_id") == "240301AAA1")
    assert first["revenue"].sum() == pytest.approx(109.70)
    assert mapped("pedidos.csv", VTEX)[0]["revenue"] == "SKU Total Price"
    assert mapped("s_order.csv", SHOPWARE)[0]["revenue"] == "invoice_amount_net"


def test_a_returned_sale_is_no_sale_and_months_named_in_spanish_are_read():
    """Mercado Livre's 'Devolvida' ('Devolução finalizada': returned) counted as a sale, and
    the Spanish report's dates ('3 de marzo de 2024 14:03 hs.') left every row out. By hand:
    189,90 + 99,80 + 89,70 + 2.499,00 + 15,50 = 2.893,90 over five orders by four buyers (the
    cancelled and the returned sale left out); the Spanish report's total as with numeric dates."""
    used, ds = mapped("Vendas_BR.csv", ML_BR)
    assert used["status"] == "Descrição do status"
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(2893.90)
    assert (lines["order_id"].n_unique(), lines["customer_id"].n_unique()) == (5, 4)
    spanish = ML_AR.replace(",03/03/2024,", ",3 de marzo de 2024 14:03 hs.,").replace(
        ",27/03/2024,", ",27 de marzo de 2024 09:41 hs.,"
    )
    for day in ("04", "12", "14", "18", "21"):
        spanish = spanish.replace(f",{day}/03/2024,", f",{int(day)} de marzo de 2024 10:00 hs.,")
    _, ds = mapped("Ventas_AR.csv", spanish)
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(195_600.0)
    assert str(lines.sort("ordered_at")["ordered_at"][0]) == "2024-03-03 14:03:00"


def test_ids_that_never_recur_name_no_customers():
    """Audit: in a short file every column of distinct codes ('Número da entrega', 'Chave de
    acesso') was taken for its customers, one each; a column whose values recur still is."""
    frame = pl.DataFrame(
        {
            "Pedido": ["P1", "P2", "P3", "P4", "P5"],
            "Data": ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04", "2024-03-05"],
            "Valor": ["10,00", "20,00", "30,00", "40,00", "50,00"],
            "Entrega": ["E1", "E2", "E3", "E4", "E5"],
        }
    )
    assert "customer_id" not in guess_mapping(frame).used()
    again = frame.with_columns(pl.Series("Entrega", ["E1", "E2", "E1", "E3", "E2"]))
    assert guess_mapping(again).used()["customer_id"] == "Entrega"


def test_line_totals_birth_dates_receipt_types_and_rates_are_read_for_what_they_are():
    """A second audit: 'Einzelpreis netto' (a unit price) outscored 'Position Summe netto' as
    revenue once 'netto' was a revenue name (-30%); an Italian invoice export dated every sale by
    the patient's 'Data Nascita'; Loyverse's 'Receipt type' (Sale, Refund) was the order (1 order
    for 6); VAT rates and units were ids by their values."""
    lexoffice = pl.DataFrame(
        {
            "Belegdatum": ["01.03.2024", "02.03.2024", "03.03.2024"],
            "Artikel": ["Beratung", "Reisekosten", "Beratung"],
            "Menge": ["8", "1", "2"],
            "Einheit": ["Stunde", "Pauschal", "Stunde"],
            "Einzelpreis netto": ["95,00", "120,00", "95,00"],
            "Einzelpreis brutto": ["113,05", "142,80", "113,05"],
            "MwSt %": ["19", "19", "19"],
            "Position Summe netto": ["760,00", "120,00", "190,00"],
        }
    )
    used = guess_mapping(lexoffice).used()
    assert used["revenue"] == "Position Summe netto"
    assert used["unit_price"] == "Einzelpreis netto"
    assert not {"order_id", "customer_id"} & used.keys()  # 'Einheit' and 'MwSt %' name no one
    invoices = pl.DataFrame(
        {
            "Numero Fattura": ["1/2024", "2/2024", "3/2024"],
            "Data Documento": ["08/01/2024", "15/01/2024", "22/01/2024"],
            "Cognome Paziente": ["Rossi", "Bianchi", "Rossi"],
            "Data Nascita": ["01/01/1980", "05/03/1992", "01/01/1980"],
            "Provincia Nascita": ["RM", "MI", "RM"],
            "Imponibile (EUR)": ["70,00", "70,00", "90,00"],
            "Totale Documento (EUR)": ["71,40", "71,40", "91,80"],
        }
    )
    used = guess_mapping(invoices).used()
    assert (used["ordered_at"], used["revenue"]) == ("Data Documento", "Imponibile (EUR)")
    assert "region" not in used
    receipts = pl.DataFrame(
        {
            "Date": ["01/13/2026 09:05", "01/13/2026 09:40", "01/14/2026 10:00"],
            "Receipt number": ["1-1001", "1-1002", "1-1003"],
            "Receipt type": ["Sale", "Sale", "Refund"],
            "Net sales": ["24.00", "10.00", "-5.00"],
            "Customer name": ["Ken Ito", "", "Ken Ito"],
        }
    )
    assert guess_mapping(receipts).used()["order_id"] == "Receipt number"


@pytest.mark.parametrize(
    ("name", "field"),
    [("Price (no VAT)", "unit_price"), ("Valor total no pedido", "revenue"), ("Amount", "revenue")],
)
def test_the_word_no_makes_a_number_only_as_its_sign(name, field):
    """'# de venta' and 'Sale No' are numbers, no amounts; 'no VAT' and 'no pedido' are words."""
    frame = pl.DataFrame(
        {
            "Order": ["1", "2", "3"],
            "Date": ["2024-03-01"] * 3,
            "Qty": ["1", "2", "1"],
            name: ["10.00", "20.00", "5.00"],
        }
    )
    assert guess_mapping(frame).used()[field] == name
    numbered = guess_mapping(frame.rename({name: "Sale No"})).used()
    assert "Sale No" not in (numbered.get("revenue"), numbered.get("unit_price"))


def test_an_order_total_above_quantity_times_price_gives_way_to_it():
    """eBay.de's orders report: 'Gesamtbetrag' (the order's total, with shipping) beside
    'Verkauft für' and 'Anzahl' was the revenue. By hand: the eight lines' quantity x price,
    19,99 + 2 x 12,50 + ... = 1.496,88 (the totals came to 1.519,35)."""
    used, ds = mapped("Bestellungen.csv", EBAY_DE_ORDERS)
    assert "revenue" not in used
    assert ds.tables["lines"]["revenue"].sum() == pytest.approx(1496.88)
    # A total that equals quantity x price on every line, or falls below it (after a
    # discount), stays the revenue.
    frame = pl.DataFrame(
        {
            "Order": ["1", "2", "3"],
            "Date": ["2024-03-01", "2024-03-02", "2024-03-03"],
            "Quantity": ["1", "2", "1"],
            "Price": ["10.00", "20.00", "5.00"],
            "Total": ["9.00", "40.00", "5.00"],
        }
    )
    assert guess_mapping(frame).used()["revenue"] == "Total"


def test_of_two_columns_named_estado_the_places_are_the_region():
    """Mercado Livre's report has 'Estado' twice: the sale's status, then the buyer's state.
    The first was the region (its values name no place) beside the status already mapped."""
    used, ds = mapped("Vendas_BR.csv", ML_BR)
    assert used["region"] == "Estado_2"
    # The five sales' states (the cancelled sale's Rio de Janeiro and the returned one's Bahia
    # are set apart with them).
    assert sorted(ds.tables["lines"]["region"].drop_nulls().unique()) == [
        "Goiás",
        "Minas Gerais",
        "Paraná",
        "São Paulo",
    ]


def test_a_selling_price_below_the_list_price_by_the_discount_is_after_it():
    """VTEX writes 'SKU Selling Price' after the discount, 'SKU Value' before it and
    'Discounts Totals' as the order's: taken off 'SKU Total Price' (quantity x selling price)
    again, it counted twice (-7%). By hand, the six lines not cancelled: 69,90 + 39,80 +
    359,10 + 53,70 + 249,90 + 79,90 = 852,30."""
    used, ds = mapped("pedidos.csv", VTEX)
    assert "discount" not in used
    assert sold(ds)["revenue"].sum() == pytest.approx(852.30)
    # Without the line total the revenue is quantity x the selling price: after the discount too.
    header, *rows = VTEX.splitlines()
    dropped = header.split(",").index("SKU Total Price")
    without = "\n".join(
        ",".join(f for i, f in enumerate(r.split(",")) if i != dropped) for r in [header, *rows]
    )
    used, ds = mapped("pedidos.csv", without + "\n")
    assert "revenue" not in used and "discount" not in used
    assert sold(ds)["revenue"].sum() == pytest.approx(852.30)


def test_a_discount_beside_a_list_price_equal_to_the_unit_price_still_comes_off():
    """Where the list price is the unit price on every line, the discount is on top of both:
    10,00 off order A's 2 x 25,00 leaves 40,00; B's and C's 30,00 have none: 100,00 in all."""
    text = (
        "Order,Date,Customer,SKU,Qty,Unit price,List price,Discount\n"
        "A,2024-03-01,c1,S1,2,25.00,25.00,10.00\n"
        "B,2024-03-02,c2,S2,1,30.00,30.00,0.00\n"
        "C,2024-03-03,c1,S2,1,30.00,30.00,0.00\n"
    )
    used, ds = mapped("orders.csv", text)
    assert used["discount"] == "Discount"
    assert sold(ds)["revenue"].sum() == pytest.approx(50.0 - 10.0 + 30.0 + 30.0)


def test_a_customer_id_blank_for_most_buyers_gives_way_to_their_names():
    """An Austrian invoicing app's 'Kunden-UID' (the VAT number, which consumers lack) was the
    customer: 4 of 7 invoices had none. By hand, the six invoices not cancelled ('storniert'):
    1.200 + 85 + 640 + 42,50 + 3.150 + 99 = 5.216,50 by Huber (twice), Gruber (twice), Steiner
    and Novak: 4 customers."""
    used, ds = mapped("Rechnungen.csv", INVOICES_AT)
    assert used["customer_id"] == "Kundenname"
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(5216.50)
    assert (lines["order_id"].n_unique(), lines["customer_id"].n_unique()) == (6, 4)
    # Guests without an id beside a full 'Customer Group' of three values: the ids stay (the
    # group tells fewer customers apart).
    text = "Order,Date,Customer ID,Customer Group,Amount\n" + "".join(
        f"O{i},2024-03-0{1 + i % 9},{'' if i % 3 == 0 else f'C{i % 40}'},"
        f"{('Retail', 'B2B', 'Staff')[i % 3]},{10 + i}.00\n"
        for i in range(90)
    )
    assert guess_mapping(io.read_file("o.csv", text.encode())[0].frame).fields["customer_id"] == (
        "Customer ID"
    )


def test_an_order_held_as_suspected_fraud_is_no_sale():
    """DataCo's 'SUSPECTED_FRAUD' counted as a sale. By hand, the 'Order Item Total' of the
    lines neither cancelled nor suspected of fraud: 163,78 + 56,99 + 170,97 + 49,98 + 179,93 +
    119,98 = 741,63, in 5 orders by 4 customers."""
    used, ds = mapped("DataCoSupplyChainDataset.csv", DATACO)
    assert (used["revenue"], used["status"]) == ("Order Item Total", "Order Status")
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(741.63)
    assert (lines["order_id"].n_unique(), lines["customer_id"].n_unique()) == (5, 4)
    # Magento's words too; not where the status says it is none.
    statuses = pl.DataFrame({"s": ["Suspected Fraud", "Betrugsverdacht", "No fraud"]})
    assert statuses.select(_says_unsold(pl.col("s")))["s"].to_list() == [True, True, False]


def test_a_purchase_order_reference_blank_on_most_lines_is_no_order_nor_its_number_a_customer():
    """An Italian ERP's invoice lines: 'Riferimento ordine' (the buyer's purchase order, on 2 of
    8 lines) was the order, so 6 lines were an order each, and 'Numero' (the invoice's number)
    the customer. The invoice is the order; the file names no customer, and 'Gruppo' is the
    product group. By hand: 108 + 42 + 289 + 216 + 135 + 84 + 289 + 2.360 = 3.523,00 in 6
    invoices."""
    used, ds = mapped("righe_fatture.csv", ERP_IT)
    assert used["order_id"] in ("Documento", "Numero")
    assert "customer_id" not in used
    assert used["category"] == "Gruppo"
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(3523.0)
    assert lines["order_id"].n_unique() == 6
    # An order number written on its order's first line only is blank on most lines too, but
    # each run of blanks has its order's date: it stays the order.
    first_lines = "Order,Date,Item,Qty,Price\n" + "".join(
        f"A{d},2024-03-0{d},x,1,5.00\n,2024-03-0{d},y,1,5.00\n,2024-03-0{d},z,2,5.00\n"
        for d in (1, 2, 3)
    )
    frame = io.read_file("o.csv", first_lines.encode())[0].frame
    assert guess_mapping(frame).fields["order_id"] == "Order"


def test_an_amount_named_before_discounts_is_the_revenue_and_the_voucher_comes_off_it():
    """OXID's voucher export: 'Artikelsumme (nicht rabattiert)' (items before the voucher) lost
    to 'Bestellsumme' (the order total, shipping in) for its 'rabatt', and 'Gutscheinwert' was
    no discount. By hand, items less vouchers: 79,90 + 139,00 + 34,90 + 1.239,00 + 19,50 +
    62,00 = 1.574,30 by 4 customers."""
    used, ds = mapped("gutscheine.csv", OXID)
    assert (used["revenue"], used["discount"]) == (
        "Artikelsumme (nicht rabattiert)",
        "Gutscheinwert",
    )
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(1574.30)
    assert (lines["order_id"].n_unique(), lines["customer_id"].n_unique()) == (6, 4)


def test_a_cell_listing_an_orders_items_names_no_item():
    """A Peruvian shop app's orders: 'Productos' ('Polo básico x2; Gorra x1') was the item id,
    each order's list an item of its own. No item is mapped; by hand, the five orders not
    cancelled: 119,90 + 249,00 + 1.299,00 + 105,00 + 119,70 = 1.892,60."""
    used, ds = mapped("pedidos.csv", PEDIDOS_PE)
    assert "item_id" not in used and "item_name" not in used
    # A name with one quantity in it lists nothing ('Socks (3), navy').
    names = pl.Series(
        ["Polo básico x2; Gorra x1", "2 x Tee, 1 x Cap", "Socks (3), navy", "Casaca x1"]
    )
    assert names.str.contains(_LISTED).to_list() == [True, True, False, False]
    lines = sold(ds)
    assert lines["revenue"].sum() == pytest.approx(1892.60)
    assert lines["order_id"].n_unique() == 5


def test_a_cancelling_invoice_goes_with_the_invoice_it_cancels():
    """A German register's export: R-0103 'storniert' was set apart and its cancelling invoice
    S-0001 (-47,60, 'Stornorechnung') taken back too, twice in all. By hand, the five invoices
    neither cancelled nor cancelling: 23,80 + 119,00 + 1.190,00 + 59,50 + 35,70 = 1.428,00 by
    4 customers."""
    used, ds = mapped("Rechnungen.csv", KASSE_DE)
    assert (used["revenue"], used["status"]) == ("Bruttobetrag", "Status")
    lines = ds.tables["lines"]
    assert lines["revenue"].sum() == pytest.approx(1428.0)
    assert sold(ds)["order_id"].n_unique() == 5
    assert lines["customer_id"].n_unique() == 4
    # A refund of its own of another amount, or of a sale kept, stays: it takes back a sale.
    other = KASSE_DE.replace(
        "S-0001;02.03.2024 09:55;Klaus Meier;;-47,60", "S-0001;02.03.2024 09:55;Klaus Meier;;-23,80"
    )
    assert mapped("Rechnungen.csv", other)[1].tables["lines"]["revenue"].sum() == pytest.approx(
        1428.0 - 23.80
    )
